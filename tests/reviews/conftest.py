"""Review tests reuse the watcher fixtures (simulated tenant + store)."""

from __future__ import annotations

from tests.watch.conftest import sim_factory

__all__ = ["sim_factory"]
