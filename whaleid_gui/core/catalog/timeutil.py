"""Timestamps as ISO 8601 text: what the database stores and the exports write."""

from __future__ import annotations

from datetime import datetime, timezone


def now_iso() -> str:
    """Current UTC time, second precision, e.g. 2024-05-01T12:00:03+00:00."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def now_iso_precise() -> str:
    """Current UTC time with microseconds (orders decisions made within one second)."""
    return datetime.now(timezone.utc).isoformat()
