"""The console script skips the interpreter's teardown (``os._exit``) but loses nothing:
the exit code of each outcome, every byte of stdout (piped, so block-buffered) and the
stored run are what a normal exit gives."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from tests.support.cli import run_main, run_process
from tests.support.tenant import healthy_tenant

if TYPE_CHECKING:
    from tests.support.sim import Tenant


def test_console_script_keeps_codes_output_and_the_stored_run(
    tenant_factory: Callable[..., Tenant], tmp_path: Path
) -> None:
    """Exit 3 with a complete JSON report on stdout and the run in the database; the same
    report and code in-process; a usage error is exit 2 and one line."""
    from breakglass.store import Store
    from breakglass.store.tables import CheckRunRow, FindingRow

    db = tmp_path / "bg.db"
    tenant = tenant_factory(healthy_tenant(), store={"url": f"sqlite:///{db}"})
    with Store.open(f"sqlite:///{db}", require_migrated=False) as store:
        store.upgrade()
    argv = ("check", "-c", str(tenant.config_path), "-f", "json", "--fail-on", "info")

    console = run_process(*argv)
    assert console.code == 3, console.stderr
    report = json.loads(console.stdout)  # the whole document was flushed before the exit
    assert len(report["findings"]) > 0

    in_process = run_main(*argv)
    assert in_process.code == 3 and in_process.escaped is None, in_process.stderr
    assert len(json.loads(in_process.stdout)["findings"]) == len(report["findings"])

    with Store.open(f"sqlite:///{db}") as store, store.session() as session:
        runs = session.scalars(select(CheckRunRow.id).order_by(CheckRunRow.id)).all()
        assert len(runs) == 2
        stored = session.scalars(select(FindingRow).where(FindingRow.run_id == runs[0])).all()
    assert len(stored) == len(report["findings"])
    assert sorted(f.check_id for f in stored) == sorted(f["check_id"] for f in report["findings"])

    usage = run_process("check", "--format", "yaml")
    assert usage.code == 2
    assert len(usage.error_lines) == 1 and usage.error_lines[0].startswith("error: ")
