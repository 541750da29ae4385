"""The README stands alone and documents what the code reads; `--version` exists; the
service package installs as `breakglass_api`, never as a bare `api` (issue 9, item 10)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from breakglass.config import Settings
from tests.support.cli import run_main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _code_files() -> list[Path]:
    return [*(ROOT / "breakglass").rglob("*.py"), *(ROOT / "api").rglob("*.py")]


def test_quick_start_is_two_commands() -> None:
    """The quick start is exactly `./dev demo` and `./dev test`."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines()]
    assert [c for c in commands if c] == ["./dev demo", "./dev test"]


def test_readme_stands_alone() -> None:
    """No reference to documents outside the repository (design sections, ../shared)."""
    for outside in ("DESIGN", "../shared", "§", "STYLE.md"):
        assert outside not in README, outside


def test_readme_names_every_environment_variable_the_code_reads() -> None:
    """Each BREAKGLASS_* (and SOURCE_DATE_EPOCH) variable the code reads is documented."""
    names: set[str] = set()
    for path in _code_files():
        text = path.read_text(encoding="utf-8")
        names |= set(re.findall(r"[\"'](BREAKGLASS_[A-Z_]*[A-Z]|SOURCE_DATE_EPOCH)[\"']", text))
    names.discard("BREAKGLASS_")
    assert {"BREAKGLASS_CONFIG", "BREAKGLASS_SIGNING_PASSPHRASE"} <= names
    assert sorted(n for n in names if n not in README) == []
    assert "BREAKGLASS_NOTIFICATIONS__CHANNELS__0__URL" in README


def test_readme_documents_the_config_sections_and_channels() -> None:
    """Every top-level settings section and every channel kind appears in the README."""
    for section in Settings.model_fields:
        if section != "config_path":
            assert re.search(rf"^\[{{1,2}}{section}[\].]|^{section} =", README, re.M), section
    for kind in ("smtp", "teams", "slack", "webhook"):
        assert f'kind = "{kind}"' in README, kind


def test_readme_documents_the_simulator_control_api() -> None:
    """The control endpoints (sign-in, rotation by patch, faults) are in the README."""
    from breakglass.simulator import _control

    documented = re.findall(r"``(?:[A-Z|]+ )?(/_sim/[a-zA-Z]+)", _control.__doc__ or "")
    assert len(set(documented)) >= 5
    for endpoint in set(documented):
        assert endpoint in README, endpoint
    assert "lastPasswordChangeDateTime" in README and '"type": "signin"' in README
    assert '"status": 503' in README


def test_version_option() -> None:
    """`breakglass --version` prints the installed version and exits 0."""
    from importlib.metadata import version

    result = run_main("--version")
    assert result.code == 0
    assert result.stdout.strip() == f"breakglass {version('breakglass')}"


@pytest.mark.filterwarnings("ignore")  # setuptools: "[tool.setuptools] is still beta"
def test_the_build_installs_the_service_as_breakglass_api(monkeypatch: pytest.MonkeyPatch) -> None:
    """The build maps api/ to the package breakglass_api and has no top-level `api`."""
    from distutils.core import run_setup  # setuptools' vendored distutils

    monkeypatch.chdir(ROOT)
    dist = run_setup(str(ROOT / "setup.py"), stop_after="config")
    packages = set(dist.packages or [])
    assert "breakglass_api" in packages and "breakglass.cli" in packages
    assert dist.package_dir == {"breakglass_api": "api"}
    assert {p.split(".")[0] for p in packages} == {"breakglass", "breakglass_api"}


def test_pyproject_names_no_bare_api_package() -> None:
    """pyproject.toml does not let setuptools find `api` as a top-level package."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = config["tool"]["setuptools"].get("packages", {})
    assert "api*" not in str(find)
