"""The units of work the service schedules and the CLI runs (DESIGN §13).

One function per job, each taking the ``Store`` (opened once by its entry point), the
settings and an injectable clock (``now``)::

    run_check(store, settings)        snapshot → checks → stored run     (check)
    poll(store, settings)             one poll of every sign-in stream   (watch --once)
    sweep(store, settings)            review reminders and escalations
    dispatch(store, settings)         deliver pending notifications
    checkpoint(store, settings)       sign and export an audit checkpoint
    watch_cycle(store, settings)      poll + sweep + dispatch: what a cron user runs
    run_forever(store, settings)      watch_cycle every poll interval

The CLI commands, the API and the scheduler call exactly these. Imports stay lazy so
``breakglass --help`` never pays for msgraph or the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from breakglass._lazy import lazy_exports

if TYPE_CHECKING:
    from breakglass.jobs._check import load_stored_facts, run_check
    from breakglass.jobs._checkpoint import checkpoint
    from breakglass.jobs._dispatch import dispatch
    from breakglass.jobs._poll import poll
    from breakglass.jobs._sweep import sweep
    from breakglass.jobs._watch import WatchCycle, run_forever, watch_cycle

_WHERE = {
    "load_stored_facts": "_check",
    "run_check": "_check",
    "checkpoint": "_checkpoint",
    "dispatch": "_dispatch",
    "poll": "_poll",
    "sweep": "_sweep",
    "WatchCycle": "_watch",
    "run_forever": "_watch",
    "watch_cycle": "_watch",
}


__all__ = [
    "WatchCycle",
    "checkpoint",
    "dispatch",
    "load_stored_facts",
    "poll",
    "run_check",
    "run_forever",
    "sweep",
    "watch_cycle",
]

__getattr__, __dir__ = lazy_exports(__name__, _WHERE, __all__)
