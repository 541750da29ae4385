"""``breakglass audit …``: verify the log, write a checkpoint, create the checkpoint key.

A Typer sub-app (``audit_app``) to mount on the main CLI. Machine output (the JSON
report, the checkpoint path, the key fingerprint) goes to stdout; problems and notes to
stderr. Exit codes (DESIGN §15): 0 ok, 2 usage/config/key/store error, 5 verification
failed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from breakglass.cli._common import ConfigOption, fail, load
from breakglass.errors import SigningError, StoreError
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.config import Settings
    from breakglass.store import Store

__all__ = ["audit_app"]

audit_app = typer.Typer(
    name="audit",
    help="Verify the tamper-evident audit log and sign checkpoints of it.",
    no_args_is_help=True,
    add_completion=False,
)


def _store(settings: Settings) -> Store:
    """The migrated store, or exit 2 naming the problem."""
    from breakglass.store import Store

    try:
        return Store.open(settings.store_url)
    except StoreError as exc:
        fail(str(exc), ExitCode.USAGE)


@audit_app.command("verify")
def verify_command(
    config: ConfigOption = None,
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            help="A checkpoint file kept outside the database (repeatable; default: every "
            "file in audit.checkpoint_dir).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="Checkpoint public key (default: the .pub.pem next to audit.checkpoint_key_path).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    output_format: Annotated[
        Literal["text", "json"],
        typer.Option("--format", help="text or json.", case_sensitive=False),
    ] = "text",
) -> None:
    """Check the hash chain and the signed checkpoints. Exit 0 if intact, 5 if not."""
    from breakglass import audit

    settings = load(config)
    files = list(checkpoint or audit.exported_checkpoints(settings))
    if not checkpoint and files:
        typer.echo(
            f"note: checking {len(files)} checkpoint file(s) from "
            f"{settings.resolve(settings.audit.checkpoint_dir)}",
            err=True,
        )
    with _store(settings) as store, store.session() as session:
        try:
            report = audit.verify_configured(
                session, settings, checkpoints=files, public_key_file=public_key
            )
        except SigningError as exc:
            fail(f"{exc} (pass --public-key)", ExitCode.USAGE)
    if output_format == "json":
        typer.echo(json.dumps(report.to_json_dict(), indent=2))
    elif report.ok:
        checked = sum(1 for c in report.checkpoints if c.ok)
        caveats = ""
        if report.uncovered:
            first, last = report.uncovered
            caveats += (
                f"; entry {first} is not covered by a checkpoint"
                if first == last
                else f"; entries {first}…{last} are not covered by a checkpoint"
            )
        if not report.external_checked:
            caveats += "; no checkpoint kept outside the database was checked"
        typer.echo(
            f"OK: the audit log's {report.size} entries are intact; "
            f"{checked} checkpoint(s) match (head {report.head[:16]}…){caveats}"
        )
    else:
        typer.echo(f"FAILED: the audit log ({report.size} entries) fails verification")
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    for problem in report.problems:
        typer.echo(f"error: {problem}", err=True)
    if not report.ok:
        raise typer.Exit(int(ExitCode.VERIFICATION_FAILED))


@audit_app.command("checkpoint")
def checkpoint_command(config: ConfigOption = None) -> None:
    """Sign a checkpoint of the log now: store it and export it to audit.checkpoint_dir."""
    from breakglass import audit

    settings = load(config)
    try:
        with _store(settings) as store, store.transaction() as session:
            path = audit.write_checkpoint(session, settings)
    except audit.AuditVerificationError as exc:
        fail(str(exc), ExitCode.VERIFICATION_FAILED)
    except SigningError as exc:
        fail(str(exc), ExitCode.USAGE)
    typer.echo(str(path))
    typer.echo(
        "checkpoint written; copy it somewhere the database's administrators cannot change "
        "(custodian email, SIEM, WORM storage)",
        err=True,
    )


@audit_app.command("keys-init")
def keys_init_command(
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key.")] = False,
) -> None:
    """Create the Ed25519 checkpoint key (mode 0600, no passphrase) and its .pub.pem."""
    from breakglass import audit

    settings = load(config)
    try:
        key = audit.init_checkpoint_key(settings, force=force)
    except (SigningError, OSError) as exc:
        fail(str(exc), ExitCode.USAGE)
    typer.echo(
        f"wrote {key.key_path} (private key, mode 0600, NOT passphrase-protected: checkpoints "
        f"are signed unattended) and {key.public_path} (give this to auditors); keep the "
        "private key away from the database's administrators",
        err=True,
    )
    typer.echo(f"sha256 {key.fingerprint}")
