"""core/torch_preload.py, in fresh processes (the test process has imported torch already): the
preload maps torch's libraries without importing torch's Python modules and without holding the
GIL (the point of it: the GUI thread keeps running), torch imports normally afterwards, and the
libraries mapped are exactly those a plain `import torch` maps (the same CUDA wheels, not others)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

MAPPED = textwrap.dedent("""
    def mapped():
        with open("/proc/self/maps") as maps:
            return sorted({line.split()[-1] for line in maps if ".so" in line.split()[-1]})
""")

PRELOAD = MAPPED + textwrap.dedent("""
    import json, sys, time
    from whaleid_gui.core import torch_preload
    before = torch_preload.loaded()
    t0 = time.perf_counter()
    thread = torch_preload.start_preload()
    beats = [time.perf_counter()]
    while thread.is_alive():  # this thread needs the GIL for every beat
        time.sleep(0.002)
        beats.append(time.perf_counter())
    took = time.perf_counter() - t0
    out = {"before": before, "after": torch_preload.loaded(), "torch_imported": "torch" in sys.modules,
           "again": torch_preload.start_preload() is None, "took_s": took,
           "longest_gap_s": max(b - a for a, b in zip(beats, beats[1:])) if len(beats) > 1 else took}
    import torch
    out["works"] = float(torch.ones(3).sum()) == 3.0
    out["mapped"] = mapped()
    print(json.dumps(out))
""")

PLAIN = MAPPED + textwrap.dedent("""
    import json
    import torch
    print(json.dumps({"mapped": mapped()}))
""")


def run(script: str, env: dict | None = None) -> dict:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=None if env is None else {**os.environ, **env})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_preload_maps_libtorch_without_the_gil_and_torch_still_imports():
    out = run(PRELOAD)
    assert not out["before"] and out["after"]  # libtorch mapped by the preload
    assert not out["torch_imported"]  # only the libraries: torch's modules are a worker's to import
    assert out["again"]  # once per process
    assert out["works"]
    # Holding the GIL for the whole dlopen (as ctypes.CDLL(path) does) leaves this thread one
    # gap as long as the load; released, it beats every few ms. Told apart only when the load is
    # long enough (a warm page cache on a fast machine may load it in a few ms).
    if out["took_s"] > 0.1:
        assert out["longest_gap_s"] < out["took_s"] / 2, out


def test_preload_then_import_maps_the_same_libraries_as_a_plain_import(tmp_path):
    """With another copy of a CUDA library first on LD_LIBRARY_PATH (a system CUDA), torch binds
    its wheels' copies (pytorch#145580); the preload, which loads libtorch before torch's import
    runs, must bind the same files: a library found elsewhere than torch looks (another sys.path
    entry, another glob order) shows here as an extra or different path. (This torch's libraries
    carry DT_RPATH, which already outranks LD_LIBRARY_PATH for their direct dependencies.)"""
    from whaleid_gui.core import torch_preload

    env = {}
    wheel_libs = torch_preload._cuda_wheel_paths(torch_preload.torch_library_dir().parent)
    cufile = next((Path(p) for p in wheel_libs if Path(p).name.startswith("libcufile.so")), None)
    if cufile is not None:  # a CUDA wheel: a second copy of one library libtorch_cuda needs
        shutil.copy(cufile, tmp_path / cufile.name)
        env["LD_LIBRARY_PATH"] = str(tmp_path)
    plain = run(PLAIN, env)["mapped"]
    assert not any(str(tmp_path) in m for m in plain)  # torch itself never maps the other copy
    assert run(PRELOAD, env)["mapped"] == plain
