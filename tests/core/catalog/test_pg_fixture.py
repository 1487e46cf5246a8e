"""The throwaway PostgreSQL of the suite (tests/conftest.py: pg_admin_url, pg_url) is real and isolates tests."""

from __future__ import annotations

import psycopg

_seen: list[str] = []


def _user_tables(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]


def test_pg_url_is_an_empty_writable_database(pg_url):
    assert _user_tables(pg_url) == 0
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE leftover (id integer)")
    assert _user_tables(pg_url) == 1
    _seen.append(pg_url)


def test_the_next_test_finds_nothing_of_the_previous_one(pg_url):
    # the table the previous test left behind is gone (the database may be the same one, emptied)
    assert _seen
    assert _user_tables(pg_url) == 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('leftover')").fetchone()[0] is None
