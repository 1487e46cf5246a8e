"""The app's start-up path in a fresh process (this test process has imported torch, so the
preload is skipped here): the window loads torch's libraries first, stays live while it waits,
then opens the project; torch itself is imported later by the worker that needs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, sys, time
    from whaleid_gui.gui.app import make_app
    from whaleid_gui.core import torch_preload
    app = make_app()
    from whaleid_gui.gui.main_window import MainWindow
    w = MainWindow()
    w.ask = lambda title, text: True
    w.show()
    ticks = []
    from PySide6.QtCore import QTimer
    beat = QTimer(); beat.setInterval(5); beat.timeout.connect(lambda: ticks.append(w.store is None)); beat.start()
    w.start(sys.argv[1])
    opened_at_once = w.store is not None
    t0 = time.time()
    while w.store is None and time.time() - t0 < 60:
        app.processEvents(); time.sleep(0.002)
    print(json.dumps({"opened_at_once": opened_at_once, "opened": w.store is not None,
                      "ticks_before_open": sum(ticks), "libtorch": torch_preload.loaded()}))
    w.close()
""")


def test_start_loads_torch_libraries_then_opens_the_project(demo_project, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WHALEID_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(demo_project)], capture_output=True, text=True,
                          timeout=180, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["opened"] and out["libtorch"]
    assert not out["opened_at_once"]  # it waited for the preload ...
    assert out["ticks_before_open"] >= 3  # ... with the event loop running, not frozen
