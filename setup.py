"""Ship the top-level runbooks/ and templates/ inside the wheel as breakglass/_data/.

They live at the top level of the repository (the project's layout), but an installed
`breakglass` must find them from any working directory, so the build copies them in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
DATA_DIRS = ("runbooks", "templates")


class BuildPyWithData(build_py):
    def run(self) -> None:
        super().run()
        for name in DATA_DIRS:
            src = ROOT / name
            if not src.is_dir():
                continue
            dst = Path(self.build_lib) / "breakglass" / "_data" / name
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst)


setup(cmdclass={"build_py": BuildPyWithData})
