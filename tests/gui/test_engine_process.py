"""The matching engine's process (application/engine_process.py): jobs run in a real child process
step by step, with the same events, result and errors as in this one; a child that dies fails
its job in flight and the next job gets a new child; and the app itself, started in a fresh
process, shows a photo's candidates without ever importing torch (issue 15: the window's GIL is
not shared with the matcher). The demo project and the real engine at 64 px."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from whaleid_gui.application import box_proposals, engine_child, engine_process, match_photos
from whaleid_gui.application.project_engine import EngineConfig
from whaleid_gui.core.boxes import BoundingBox
from whaleid_gui.core.catalog import ProjectStore
from whaleid_gui.core.progress import drive

ENGINE = EngineConfig(device="cpu", image_size=64)


def a_boxed_photo(folder) -> int:
    with ProjectStore.open(folder) as store:
        photo = store.photos(status="needs_box")[0]
        store.set_box(photo.id, BoundingBox(12, 10, 244, 160))
        return photo.id


def test_a_job_runs_in_another_process_and_arguments_that_cannot_go_there_run_here():
    child = drive(engine_process.shared().job(engine_process.ping))
    assert child != os.getpid()
    # below the window's priority: torch's threads there leave the window its core
    assert os.getpriority(os.PRIO_PROCESS, child) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + engine_process.NICE)
    # Linux shares the cores between autogroups first, one per session: in a session of its own
    # the nice value would not count. (Where the kernel schedules by cgroup instead, the
    # autogroup file reads empty for every process.)
    assert os.getsid(child) == os.getsid(0)
    if os.path.exists("/proc/self/autogroup"):
        group = lambda pid: open(f"/proc/{pid}/autogroup").read()  # noqa: E731
        assert group(child) == group("self")
    assert drive(engine_process.run(engine_process.ping)) == child  # one process, kept between jobs
    assert drive(engine_process.run(engine_process.ping, lambda: None)) == os.getpid()  # a lambda does not pickle
    with pytest.raises(ValueError, match="only whaleid_gui"):
        drive(engine_process.shared().job(os.getpid))


def test_a_match_there_has_the_events_and_the_result_of_the_same_match_here(demo_project):
    pid = a_boxed_photo(demo_project)
    events_there, events_here = [], []
    there = drive(engine_process.shared().job(match_photos.match_photo, str(demo_project), pid, ENGINE),
                  events_there.append)
    here = drive(match_photos.match_photo(str(demo_project), pid, ENGINE), events_here.append)
    assert [c.code for c in there.candidates] == [c.code for c in here.candidates]
    assert [c.score for c in there.candidates] == pytest.approx([c.score for c in here.candidates], abs=1e-5)
    assert there.photo_id == pid and there.box_id == here.box_id is not None
    # the same steps, as far as the caches allow (the first run prepared the features both read)
    assert events_there[0].message == events_here[0].message and events_there[-1].message == "Done"


def test_an_error_there_reaches_the_caller_with_its_type_and_message(tmp_path):
    missing = tmp_path / "no-project"
    with pytest.raises(Exception) as here:
        drive(box_proposals.propose_missing(str(missing), []))
    with pytest.raises(Exception) as there:
        drive(engine_process.shared().job(box_proposals.propose_missing, str(missing), []))
    assert type(there.value) is type(here.value) and str(there.value) == str(here.value)
    assert drive(engine_process.run(engine_process.ping)) != os.getpid()  # and the child goes on


def test_a_job_closed_at_a_yield_leaves_the_process_ready_for_the_next(demo_project):
    pid = a_boxed_photo(demo_project)
    job = engine_process.shared().job(match_photos.match_photo, str(demo_project), pid, ENGINE)
    next(job)
    job.close()  # the worker was cancelled
    result = drive(engine_process.shared().job(match_photos.match_photo, str(demo_project), pid, ENGINE))
    assert result.photo_id == pid and result.candidates


def test_a_dead_engine_process_fails_the_job_in_flight_and_the_next_job_starts_a_new_one(demo_project):
    pid = a_boxed_photo(demo_project)
    first = drive(engine_process.shared().job(engine_process.ping))
    job = engine_process.shared().job(match_photos.match_photo, str(demo_project), pid, ENGINE)
    next(job)
    os.kill(first, signal.SIGKILL)  # a crash in a native library, the out-of-memory killer
    with pytest.raises(engine_process.EngineProcessError, match=r"stopped \(exit code"):
        while True:
            next(job)
    second = drive(engine_process.shared().job(engine_process.ping))
    assert second not in (first, os.getpid())
    assert drive(engine_process.shared().job(match_photos.match_photo, str(demo_project), pid, ENGINE)).candidates


def test_a_job_whose_child_was_restarted_fails_as_such_and_starts_no_child(demo_project):
    pid = a_boxed_photo(demo_project)
    job = engine_process.shared().job(match_photos.match_photo, str(demo_project), pid, ENGINE)
    next(job)
    engine_process.shared().shutdown()  # e.g. another job's exchange broke and stopped it
    new = drive(engine_process.shared().job(engine_process.ping))  # the next job starts a new child
    with pytest.raises(engine_process.EngineProcessError, match="restarted"):
        next(job)  # not sent to the new child, which never heard of it
    job.close()
    assert drive(engine_process.shared().job(engine_process.ping)) == new  # the cleanup stopped nothing


CLOSED: list = []  # yields_a_lock's record (its arguments would arrive as copies)


def yields_a_lock():
    """A job whose event cannot be pickled (a lock); records that it was closed."""
    import threading

    try:
        yield threading.Lock()
    finally:
        CLOSED.append(True)


def _framed(*requests) -> bytes:
    import pickle
    import struct

    return b"".join(struct.pack("<Q", len(p)) + p for p in map(pickle.dumps, requests))


def test_a_reply_that_does_not_pickle_fails_its_job_and_the_next_replies_stay_in_order(monkeypatch):
    """The child's loop, driven here through byte streams: a job yielding a lock (it cannot be
    pickled) gets an error reply of a class the parent can load and is closed; a request the child
    cannot load fails alone; the requests after them get their own replies."""
    import io
    import pickle

    CLOSED.clear()
    monkeypatch.setitem(sys.modules, "engine_test_jobs", sys.modules[__name__])
    requests = [("start", 1, ("engine_test_jobs", "yields_a_lock"), (), {}), ("next", 1), ("next", 1)]
    unloadable = pickle.dumps(("start", 3, ("x", "y"), (_ElsewhereError("x"),), {})).replace(
        b"_ElsewhereError", b"_NowhereErrorXY")
    import struct

    stream = (_framed(*requests) + struct.pack("<Q", len(unloadable)) + unloadable
              + _framed(("start", 2, (engine_process.__name__, "ping"), (), {}), ("next", 2)))
    out = io.BytesIO()
    engine_child.serve(io.BytesIO(stream), out)
    out.seek(0)
    replies = [pickle.load(out) for _ in range(6)]
    assert replies[0] == ("ok", None)
    assert replies[1][0] == "raise" and type(replies[1][1]) is engine_process.RemoteError and CLOSED == [True]
    assert replies[2][0] == "raise" and isinstance(replies[2][1], engine_process.EngineProcessError)  # gone
    assert replies[3][0] in ("raise", "raise_as")  # the request it could not load
    assert replies[4] == ("ok", None) and replies[5] == ("return", os.getpid())


class _ElsewhereError(Exception):
    """An exception class of a module outside the package (as torch's are)."""


def test_an_exception_of_a_class_from_outside_the_package_comes_back_without_importing_its_module(
        tmp_path, monkeypatch):
    kind, value = engine_child._portable(_ElsewhereError("out of memory"))
    assert kind == "raise_as" and value[2] == "out of memory"
    assert isinstance(engine_child._rebuilt(*value), _ElsewhereError)  # loaded here already: rebuilt
    (tmp_path / "engine_never_imported.py").write_text("class OutOfMemoryError(Exception):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))  # importable, as torch is: still not imported
    gone = engine_child._rebuilt("engine_never_imported", "OutOfMemoryError", "out of memory")
    assert type(gone) is engine_process.RemoteError and str(gone) == "OutOfMemoryError: out of memory"
    assert "engine_never_imported" not in sys.modules
    assert engine_child._portable(ValueError("bad"))[0] == "raise"


def test_ctrl_c_in_the_apps_terminal_does_not_stop_the_engine_process():
    child = drive(engine_process.shared().job(engine_process.ping))
    os.kill(child, signal.SIGINT)
    time.sleep(0.3)
    assert drive(engine_process.shared().job(engine_process.ping)) == child


APP = textwrap.dedent("""
    import json, os, sys, time
    from whaleid_gui.gui.app import make_app
    app = make_app()  # starts the engine process
    from whaleid_gui.application import engine_process
    from whaleid_gui.application.project_engine import EngineConfig
    from whaleid_gui.gui.main_window import MainWindow
    started_with_the_window = engine_process.shared().running()
    w = MainWindow(EngineConfig(device="cpu", image_size=64))
    w.ask = lambda title, text: True
    w.show()
    w.start(sys.argv[1])
    opened_at_once = w.store is not None
    t0 = time.time()
    while not (w.review.cards and w.review.result is not None and "loading" not in w.engine_label.text().lower()) \
            and time.time() - t0 < 120:
        app.processEvents(); time.sleep(0.005)
    print(json.dumps({"started_with_the_window": started_with_the_window, "opened_at_once": opened_at_once,
                      "candidates": len(w.review.cards), "model": w.engine_label.text(),
                      "torch_here": "torch" in sys.modules}), flush=True)
    os._exit(0)
""")


def test_the_app_shows_candidates_without_importing_torch_in_its_own_process(demo_project, tmp_path):
    a_boxed_photo(demo_project)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WHALEID_DATA_DIR=str(tmp_path / "data"),
               HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"))  # not the user's settings
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", APP, str(demo_project)], capture_output=True, text=True,
                          timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["started_with_the_window"] and out["opened_at_once"]
    assert out["candidates"] > 0 and "loading" not in out["model"].lower(), (out, time.monotonic() - t0)
    assert out["torch_here"] is False


def test_turns_at_the_engine_go_in_the_order_asked_for():
    """The match queue asks again at once after each step: a box proposal that asked meanwhile goes
    first (a plain lock let the queue take every turn)."""
    import threading

    lock = engine_process._TurnLock()
    order: list[str] = []

    def take(name: str) -> None:
        with lock:
            order.append(name)

    lock.__enter__()  # the queue's step
    waiting = [threading.Thread(target=take, args=(n,)) for n in ("proposals", "reviewer")]
    for n, t in enumerate(waiting, 1):
        t.start()
        while len(lock._waiting) < n:
            time.sleep(0.001)
    lock.__exit__()
    take("queue again")  # the queue's next step: after the two that waited
    for t in waiting:
        t.join(5)
    assert order == ["proposals", "reviewer", "queue again"]
