"""How the GUI words a failed job: workers deliver the exception itself (``Worker.errored``), the
window decides what the user reads."""

from __future__ import annotations


def error_text(exc: BaseException | str) -> str:
    """The exception's message, or its type's name when it has none (a bare KeyError())."""
    if isinstance(exc, str):
        return exc
    return str(exc) or type(exc).__name__
