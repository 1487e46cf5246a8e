"""Load torch's shared libraries in a background thread before anything imports torch.

Why: `import torch` spends 0.3-0.45 s in one C call (dlopen of libtorch and its static
initialisers, inside `import torch._C`) holding Python's GIL, so whichever worker imports torch
first froze the app's event loop that long (issue 15: the heartbeat of
benchmarks/bench_review_flow.py measured 300-810 ms stalls when a project opened). The review's
matching now runs in the engine process (application/engine_process.py) and never imports torch
in the window's process; training still does, so the training panel starts this preload when it
is first shown. Here the C library's dlopen is
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
import glob
import importlib.util
import os
import re
import sys
import threading
from pathlib import Path

_GLOBAL_DEPS = "libtorch_global_deps.so"  # loaded RTLD_GLOBAL, as torch/__init__.py does
_LIBTORCH = "libtorch.so"  # loaded local, as the dynamic loader does for torch._C
_LOCAL = os.RTLD_NOW | os.RTLD_LOCAL
_lock = threading.Lock()
_thread: threading.Thread | None = None


def torch_library_dir() -> Path | None:
    """torch/lib of the installed torch, found without importing it (None when not installed)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "lib"


# What torch's own import loads between its global deps and libtorch on a CUDA wheel (torch
# 2.14's torch/__init__.py, _preload_cuda_deps): the nvidia-* wheels' libraries, so that they, not a
# system CUDA on LD_LIBRARY_PATH, satisfy libtorch's dependencies (pytorch#145580). Same order.
# tests/core/test_torch_preload.py checks that the preload maps exactly what a plain import maps.
_CUDA_WHEEL_LIBRARIES = (
    ("cublas", "libcublasLt.so.*[0-9]"), ("cublas", "libcublas.so.*[0-9]"), ("cudnn", "libcudnn.so.*[0-9]"),
    ("cuda_nvrtc", "libnvrtc.so.*[0-9]"), ("cuda_nvrtc", "libnvrtc-builtins.so.*[0-9]"),
    ("cuda_runtime", "libcudart.so.*[0-9]"), ("cuda_cupti", "libcupti.so.*[0-9]"),
    ("cufft", "libcufft.so.*[0-9]"), ("curand", "libcurand.so.*[0-9]"), ("nvjitlink", "libnvJitLink.so.*[0-9]"),
    ("cusparse", "libcusparse.so.*[0-9]"), ("cusparselt", "libcusparseLt.so.*[0-9]"),
    ("cusolver", "libcusolver.so.*[0-9]"), ("nccl", "libnccl.so.*[0-9]"), ("nvshmem", "libnvshmem_host.so.*[0-9]"),
    ("cufile", "libcufile.so.*[0-9]"), ("nvtx", "libnvToolsExt.so.*[0-9]"),
)


def _cuda_major(torch_dir: Path) -> str | None:
    """torch.version.cuda's major version, read from the file (importing torch is what we avoid)."""
    try:
        text = (torch_dir / "version.py").read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"^cuda\b[^=]*=\s*['\"](\d+)", text, re.MULTILINE)
    return found.group(1) if found else None


def _cuda_wheel_paths(torch_dir: Path) -> list[str]:
    """The first match of each of _CUDA_WHEEL_LIBRARIES on sys.path, as torch looks them up."""
    major = _cuda_major(torch_dir)
    paths = []
    for folder, pattern in _CUDA_WHEEL_LIBRARIES:
        for root in sys.path:
            found = glob.glob(os.path.join(root, "nvidia", folder, "lib", pattern))
            if major is not None:
                found += glob.glob(os.path.join(root, "nvidia", f"cu{major}", "lib", pattern))
            found += glob.glob(os.path.join(root, folder, "lib", pattern))
            if found:
                paths.append(found[0])
                break
    return paths


def _load(libdir: Path) -> None:
    try:
        dlopen = ctypes.CDLL(None).dlopen  # a foreign function: called without the GIL
    except (OSError, AttributeError):
        return
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    deps = libdir / _GLOBAL_DEPS
    if not deps.exists() or not dlopen(os.fsencode(deps), os.RTLD_NOW | os.RTLD_GLOBAL):
        return  # torch's own import will say what is wrong, in the worker that needs it
    if loaded("libcudart.so", prefix=True):  # a CUDA build: its wheels' libraries first, as torch does
        for path in _cuda_wheel_paths(libdir.parent):
            dlopen(os.fsencode(path), _LOCAL)  # a missing one: rpath decides, as in torch
    if (libdir / _LIBTORCH).exists():
        dlopen(os.fsencode(libdir / _LIBTORCH), _LOCAL)


def loaded(name: str = _LIBTORCH, prefix: bool = False) -> bool:
    """Whether this process has mapped the library `name` (prefix: any version of it)."""
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                base = line.rstrip().rsplit("/", 1)[-1]
                if base == name or (prefix and base.startswith(name)):
                    return True
    except OSError:
        pass
    return False


def start_preload() -> threading.Thread | None:
    """Start loading torch's libraries once per process (a no-op when torch is imported, when a
    preload ran already, or off Linux). Returns the thread loading them: the one started, or the
    one still running from an earlier call; None when there is nothing to wait for."""
    global _thread
    if "torch" in sys.modules or not sys.platform.startswith("linux"):
        return None
    with _lock:
        if _thread is not None:
            return _thread if _thread.is_alive() else None
        libdir = torch_library_dir()
        if libdir is None:
            return None
        # not a daemon: interpreter shutdown waits for a dlopen in flight instead of tearing it down
        _thread = threading.Thread(target=_load, args=(libdir,), name="torch-preload")
        _thread.start()
        return _thread
