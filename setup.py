"""Build hook: the wheel carries the repository's model_weights/ and resources/ inside the package.

Both folders stay at the top of the repository (the README, the model cards and `make` refer to
them there), so they are not package data by location; build_py copies them into
whaleid_gui/<folder>/ of the build, where whaleid_gui.core.shipped_files looks first. All other
settings are in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED_FOLDERS = ("model_weights", "resources")  # as whaleid_gui/core/shipped_files.py
HERE = Path(__file__).resolve().parent


class BuildPyWithShippedFolders(build_py):
    def run(self):
        super().run()
        # An editable install runs from the checkout, where the lookup finds the top-level folders.
        if getattr(self, "editable_mode", False):
            return
        for name in SHIPPED_FOLDERS:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing; a wheel without it would not work")
            self.copy_tree(str(source), str(Path(self.build_lib) / "whaleid_gui" / name))


setup(cmdclass={"build_py": BuildPyWithShippedFolders})
