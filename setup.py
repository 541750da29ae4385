"""Packages, and the top-level runbooks/ and templates/ shipped as breakglass/_data/.

The service package lives in the folder `api/` (the project's layout) but installs as
`breakglass_api`: a bare top-level `api` would clash with any other distribution's.
runbooks/ and templates/ live at the top level of the repository too, but an installed
`breakglass` must find them from any working directory, so the build copies them in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import find_packages, setup
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


#: api/ and its sub-packages (auth, routes, schemas, web) as breakglass_api.*
API_PACKAGES = ["breakglass_api", *(f"breakglass_api.{p}" for p in find_packages(where="api"))]

setup(
    packages=[*find_packages(include=["breakglass", "breakglass.*"]), *API_PACKAGES],
    package_dir={"breakglass_api": "api"},
    cmdclass={"build_py": BuildPyWithData},
)
