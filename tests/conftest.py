"""Fixtures shared by the engine and CLI tests.

Expensive things are built once per session (the small synthetic demo, one EfficientNet-Lite0
model) and must not be mutated by tests: copy them (copy.deepcopy) before training or editing.
The feature cache goes to a temporary folder so tests never write to ~/.cache.
"""

from __future__ import annotations

import os

# One intra-op thread for torch (set before anything imports torch or numba). The tests' tensors are
# tiny, and on a busy 2-core machine OpenMP threads spin-wait for each other: a training step of 8 pairs
# at 64 px took 5-15 s with 2 threads and 0.2 s with one. The score kernel follows torch's thread count
# (head_kernel._match_torch_threads), so numba does not raise it again. Set it yourself to override.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_feature_cache(tmp_path_factory):
    """WHALEID_CACHE_DIR -> a session temp folder (the default FeatureCache location)."""
    folder = tmp_path_factory.mktemp("whaleid-cache")
    old = os.environ.get("WHALEID_CACHE_DIR")
    os.environ["WHALEID_CACHE_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("WHALEID_CACHE_DIR", None)
    else:
        os.environ["WHALEID_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def pg_admin_url():
    """One throwaway PostgreSQL server for the whole session (pgserver ships the binaries): the
    URL of its maintenance database `postgres`, as the superuser `postgres`.

    It listens on a Unix socket in its data folder only (the URL's `?host=`), trusts local
    connections (no password) and is stopped when the session ends. Tests want `pg_url`, a
    database of their own; this one is for creating and dropping databases.
    """
    import shutil
    import tempfile
    import warnings

    # Not under pytest's tmp_path: run as root, pgserver starts postgres as its own user and
    # opens the folders above the data folder to it, but every pytest session (of any test run
    # on this machine) makes /tmp/pytest-of-<user> private again, which stopped the server.
    data = tempfile.mkdtemp(prefix="whaleid-pg-")
    with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set" (harmless here)
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(data, cleanup_mode="stop")
    url = f"postgresql://postgres@/postgres?host={data}"
    import psycopg

    with psycopg.connect(url, autocommit=True) as admin:
        # a throwaway server need not survive a power cut: without fsync a CREATE DATABASE and a
        # schema install take milliseconds instead of seconds on a busy disk
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            admin.execute(f"ALTER SYSTEM SET {setting} = off")
        admin.execute("SELECT pg_reload_conf()")
    yield url
    server.cleanup()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def _pg_spare_databases(pg_admin_url):
    """Names of emptied databases ready for the next test (CREATE DATABASE copies a template:
    0.2-1.5 s on this busy machine; emptying one that a test used takes some milliseconds)."""
    return []


@pytest.fixture
def pg_url(pg_admin_url, _pg_spare_databases):
    """The postgresql:// URL of a fresh, empty database of this test's own.

    Form: postgresql://postgres@/t_<random>?host=<socket folder>, no password. Child processes
    (real-process concurrency tests) can use it as is. Afterwards its connections are ended and
    it is emptied (every schema dropped, an empty `public` made again) for a later test; one that
    cannot be emptied is dropped. A database name may come back in a later test, never its data.
    """
    import uuid

    import psycopg

    if _pg_spare_databases:
        name = _pg_spare_databases.pop()
    else:
        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    url = pg_admin_url.replace("/postgres?", f"/{name}?", 1)
    yield url
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        # a test that failed half-way (or its child processes) may leave connections open
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                schemas = [r[0] for r in conn.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                    "AND nspname <> 'information_schema'")]
                for schema in schemas:
                    conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
                conn.execute("CREATE SCHEMA public")
            _pg_spare_databases.append(name)
        except psycopg.Error:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    """whaleid demo --small: references, queries (some new_whale), train and boxes CSVs (read-only)."""
    from whaleid_gui.core.synthetic import write_demo

    return write_demo(tmp_path_factory.mktemp("demo"), seed=0, small=True)


@pytest.fixture(scope="session")
def lite0_model():
    """The untrained default model (EfficientNet-Lite0 + ImageNet, distance head) at 64 px. Read-only."""
    from whaleid_gui.core.model import build_model

    return build_model("efficientnet-lite0", image_size=64).eval()
