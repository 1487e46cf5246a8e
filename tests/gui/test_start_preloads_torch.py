"""The app's start-up path in a fresh process (this test process has imported torch, so the
preload is skipped here): the app starts loading torch's libraries before it builds the window;
the window waits for the rest, stays live while it waits, then opens the project; torch itself is
imported later by the worker that needs it. A project the user opens during that wait stays open."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

from whaleid_gui.gui.window_projects import PRELOAD_WAIT_S

SCRIPT = textwrap.dedent("""
    import json, os, sys, time
    from whaleid_gui.gui.main_window import MainWindow  # first: the preload is still running at start()
    from whaleid_gui.gui.app import make_app
    from whaleid_gui.core import torch_preload
    app = make_app()  # starts the preload
    w = MainWindow()
    w.ask = lambda title, text: True
    preload_at_open = []
    open_project = w.open_project
    def spy(folder):
        preload_at_open.append((torch_preload._thread.is_alive(), time.monotonic() - started[0]))
        return open_project(folder)
    started = [time.monotonic()]
    w.open_project = spy
    w.show()
    ticks = []
    from PySide6.QtCore import QTimer
    beat = QTimer(); beat.setInterval(5); beat.timeout.connect(lambda: ticks.append(w.store is None)); beat.start()
    preload_at_start = torch_preload._thread.is_alive()
    started[0] = time.monotonic()
    w.start(sys.argv[1])
    opened_at_once = w.store is not None
    if len(sys.argv) > 2:
        w.open_project(sys.argv[2])  # the user opens another project during the wait
    t0 = time.time()
    while (w.store is None or torch_preload._thread.is_alive()) and time.time() - t0 < 60:
        app.processEvents(); time.sleep(0.002)
    t1 = time.time()
    while time.time() - t1 < 0.5:  # the start's last poll
        app.processEvents(); time.sleep(0.002)
    print(json.dumps({"opened_at_once": opened_at_once, "folder": str(w.folder), "preload_at_start": preload_at_start,
                      "preload_at_open": preload_at_open,
                      "ticks_before_open": sum(ticks), "libtorch": torch_preload.loaded()}), flush=True)
    os._exit(0)  # no need to wait for the jobs the opened project started
""")


def start_app(tmp_path, *projects) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WHALEID_DATA_DIR=str(tmp_path / "data"),
               HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"))  # not the user's settings
    done = subprocess.run([sys.executable, "-c", SCRIPT, *map(str, projects)], capture_output=True, text=True,
                          timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_start_loads_torch_libraries_then_opens_the_project(demo_project, tmp_path):
    out = start_app(tmp_path, demo_project)
    assert out["folder"] == str(demo_project) and out["libtorch"]
    [(loading, after_s)] = out["preload_at_open"]
    # opened once the libraries were in (make_app started them), or after the longest wait (a cold disk)
    assert not loading or after_s >= PRELOAD_WAIT_S
    if out["preload_at_start"]:  # still loading when the window asked to open the project:
        assert not out["opened_at_once"]  # it waited for the preload ...
        assert out["ticks_before_open"] >= 3  # ... with the event loop running, not frozen


def test_a_project_opened_during_the_wait_stays_open(demo_project, tmp_path):
    other = tmp_path / "other" / "project"
    shutil.copytree(demo_project, other)
    out = start_app(tmp_path, demo_project, other)
    assert out["folder"] == str(other)
