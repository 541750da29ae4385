"""Fixtures for runbook tests: signing keys, a pinned build time and built runbooks.

The helpers they use (settings, a snapshot, ``Built``) are in tests/support/runbook.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from breakglass.config import Settings
from breakglass.runbook import build_runbook
from breakglass.signing import init_keys
from tests.support.runbook import EPOCH, KEYS_MADE, PASSPHRASE, Built, make_settings, make_snapshot


@pytest.fixture
def source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    return EPOCH


@pytest.fixture
def keyed_settings(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path)
    init_keys(settings, PASSPHRASE, now=KEYS_MADE)
    return settings


@pytest.fixture
def build(keyed_settings: Settings, tmp_path: Path) -> Callable[..., Built]:
    def make(name: str = "runbook.pdf", **kwargs: Any) -> Built:
        warnings: list[str] = []
        kwargs.setdefault("snapshot", make_snapshot())
        release = build_runbook(
            keyed_settings,
            tmp_path / name,
            passphrase=PASSPHRASE,
            on_warning=warnings.append,
            **kwargs,
        )
        return Built(keyed_settings, tmp_path / name, release, warnings)

    return make


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One signed runbook shared by the read-only tests of a module."""
    folder = tmp_path_factory.mktemp("built")
    settings = make_settings(folder)
    init_keys(settings, PASSPHRASE)
    release = build_runbook(
        settings, folder / "runbook.pdf", passphrase=PASSPHRASE, snapshot=make_snapshot()
    )
    return Built(settings, folder / "runbook.pdf", release, [])
