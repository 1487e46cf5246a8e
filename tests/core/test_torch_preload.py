"""core/torch_preload.py, in a fresh process (the test process has imported torch already): the
preload maps torch's libraries without importing torch's Python modules and without holding the
GIL (the point of it: the GUI thread keeps running), and torch imports normally afterwards."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import json, sys, time
    from whaleid_gui.core import torch_preload
    before = torch_preload.loaded()
    t0 = time.perf_counter()
    thread = torch_preload.start_preload()
    ticks = 0
    while thread.is_alive():  # this thread needs the GIL for every tick
        time.sleep(0.002)
        ticks += 1
    took = time.perf_counter() - t0
    out = {"before": before, "after": torch_preload.loaded(), "torch_imported": "torch" in sys.modules,
           "again": torch_preload.start_preload() is None, "ticks": ticks, "took_s": took}
    import torch
    out["works"] = float(torch.ones(3).sum()) == 3.0
    print(json.dumps(out))
""")


def test_preload_maps_libtorch_without_the_gil_and_torch_still_imports():
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert not out["before"] and out["after"]  # libtorch mapped by the preload
    assert not out["torch_imported"]  # only the libraries: torch's modules are a worker's to import
    assert out["again"]  # once per process
    assert out["works"]
    # With the GIL held for the whole dlopen (as ctypes.CDLL(path) does) this thread would tick
    # once or twice; released, it ticks every few ms. Checked only when the load took long enough
    # to tell the two apart (a warm page cache on a fast machine may load it in a few ms).
    if out["took_s"] > 0.1:
        assert out["ticks"] >= 10, out
