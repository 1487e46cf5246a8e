"""Load torch's shared libraries in a background thread before anything imports torch.

Why: `import torch` spends 0.3-0.45 s in one C call (dlopen of libtorch and its static
initialisers, inside `import torch._C`) holding Python's GIL, so whichever worker imports torch
first froze the app's event loop that long when a project opened (issue 15: the heartbeat of
benchmarks/bench_review_flow.py measured 300-810 ms stalls there). Here the C library's dlopen is
called as a ctypes foreign function, which runs with the GIL released (`ctypes.CDLL(path)` itself
does not: measured, it held the GIL for the whole 0.47 s), so loading the libraries costs the GUI
thread nothing and the later `import torch._C` finds them in memory. Only the shared libraries
are loaded here, not torch's Python modules: importing those from a second thread could meet a
worker's import halfway through.

The modes are torch's own: libtorch_global_deps with RTLD_GLOBAL (as torch/__init__.py loads it),
libtorch local (as the dynamic loader loads it for torch._C). The handles are never closed: the
libraries stay for the process, as they would after `import torch`.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import threading
from pathlib import Path

_LIBRARIES = (("libtorch_global_deps.so", os.RTLD_NOW | os.RTLD_GLOBAL), ("libtorch.so", os.RTLD_NOW | os.RTLD_LOCAL))
_lock = threading.Lock()
_thread: threading.Thread | None = None


def torch_library_dir() -> Path | None:
    """torch/lib of the installed torch, found without importing it (None when not installed)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "lib"


def _load(libdir: Path) -> None:
    try:
        dlopen = ctypes.CDLL(None).dlopen  # a foreign function: called without the GIL
    except (OSError, AttributeError):
        return
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    for name, mode in _LIBRARIES:
        path = libdir / name
        if path.exists() and not dlopen(os.fsencode(path), mode):
            return  # torch's own import will say what is wrong, in the worker that needs it


def loaded(name: str = "libtorch.so") -> bool:
    """Whether this process has mapped torch's library `name` (for tests and benchmarks)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            return any(line.rstrip().endswith("/" + name) for line in maps)
    except OSError:
        return False


def start_preload() -> threading.Thread | None:
    """Start loading torch's libraries once per process (a no-op when torch is imported, when a
    preload ran already, or off Linux). Returns the thread started, if any."""
    global _thread
    if "torch" in sys.modules or not sys.platform.startswith("linux"):
        return None
    with _lock:
        if _thread is not None:
            return None
        libdir = torch_library_dir()
        if libdir is None:
            return None
        # not a daemon: interpreter shutdown waits for a dlopen in flight instead of tearing it down
        _thread = threading.Thread(target=_load, args=(libdir,), name="torch-preload")
        _thread.start()
        return _thread
