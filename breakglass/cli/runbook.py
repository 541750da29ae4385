"""``breakglass runbook …`` and ``breakglass keys …`` (Typer sub-apps to mount on the main CLI).

Machine output (release record, verification result) goes to stdout; progress, warnings
and reasons to stderr. Exit codes (DESIGN §15): 0 ok, 2 usage/config/key error, 4 live
tenant facts required but unavailable, 5 verification failed. Heavy libraries are
imported inside the commands, so ``--help`` and ``verify`` stay fast and never import
``msgraph``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from breakglass.cli._common import (
    CertOption,
    ConfigOption,
    ManifestOption,
    load,
    signing_passphrase,
    writable_output,
)
from breakglass.cli._trust import expected_certificate
from breakglass.errors import ConfigError, GraphError, SigningError
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.config import Settings
    from breakglass.runbook import RunbookRelease
    from breakglass.snapshot import TenantSnapshot

__all__ = ["keys_app", "runbook_app"]

runbook_app = typer.Typer(
    name="runbook",
    help="Build, sign and verify the offline emergency-access runbook.",
    no_args_is_help=True,
    add_completion=False,
)
keys_app = typer.Typer(
    name="keys",
    help="Manage the runbook signing key and certificate.",
    no_args_is_help=True,
    add_completion=False,
)


@keys_app.callback()
def _keys_group() -> None:
    """Manage the runbook signing key and certificate."""


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _exit(code: ExitCode, message: str | None = None) -> NoReturn:
    if message:
        _err(message)
    raise typer.Exit(int(code))


def _live_snapshot(settings: Settings) -> TenantSnapshot:
    try:
        from breakglass.graph import take_snapshot

        snapshot: TenantSnapshot = take_snapshot(settings)
    except ImportError as exc:  # a broken or partial installation of the Graph stack
        raise GraphError(f"the Graph collector cannot be loaded ({exc})") from None
    return snapshot


@runbook_app.command("build")
def build_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Signed PDF to write.", dir_okay=False)],
    config: ConfigOption = None,
    snapshot_file: Annotated[
        Path | None,
        typer.Option(
            "--snapshot-file",
            help="Use a saved tenant snapshot (JSON) instead of reading the tenant.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    procedure: Annotated[
        Path | None,
        typer.Option(
            "--procedure",
            help="Procedure YAML (default: runbooks/emergency-access.yaml).",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    require_live: Annotated[
        bool,
        typer.Option(
            "--require-live",
            help="Fail (exit 4) instead of printing without live "
            "tenant facts when the tenant cannot be read.",
        ),
    ] = False,
) -> None:
    """Render the runbook, sign it (PAdES) and write FILE.pdf plus FILE.pdf.manifest.json."""
    from breakglass.runbook import build_runbook, load_snapshot_file

    writable_output(out, "--out", create=True)
    settings = load(config, accounts=True)
    warned: list[str] = []

    def warn(message: str) -> None:
        warned.append(message)
        _err(f"WARNING: {message}")

    try:
        snapshot = load_snapshot_file(snapshot_file) if snapshot_file else None
        if snapshot is None:
            _err("reading live tenant facts …")
        release = build_runbook(
            settings,
            out,
            passphrase=lambda: signing_passphrase(),
            snapshot=snapshot,
            snapshot_source=None if snapshot else _live_snapshot,
            require_live=require_live,
            procedure_path=procedure,
            on_warning=warn,
        )
    except ConfigError as exc:
        _exit(ExitCode.USAGE, f"error: {exc}")
    except SigningError as exc:
        _exit(ExitCode.USAGE, f"error: signing: {exc}")
    except GraphError as exc:
        _exit(ExitCode.INCOMPLETE, f"error: live tenant facts required (--require-live): {exc}")
    not_recorded = _record_release(settings, release)  # BG-041 reads the stored release
    if not_recorded:
        warn(not_recorded)
    typer.echo(json.dumps(release.to_json_dict(), indent=2))
    _err(
        f"signed runbook {release.doc_id} version {release.version} written to {out} "
        f"(valid until {release.valid_until:%Y-%m-%d}); manifest {out}.manifest.json"
    )


def _record_release(settings: Settings, release: RunbookRelease) -> str | None:
    """Record ``release`` in the configured store; a warning to show when that is impossible.

    The PDF is already signed and written, so a store that is missing or not migrated must
    not fail the build, but BG-041 will not see the release.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from breakglass.errors import StoreError
    from breakglass.runbook import record_release
    from breakglass.store import Store

    url = settings.store_url
    unseen = "BG-041 will not see this release until it is recorded"
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return (
            f"the release was not recorded: no database at {url.removeprefix('sqlite:///')} "
            f"({unseen}; run `breakglass db upgrade` first)"
        )
    try:
        with Store.open(url) as store, store.transaction() as session:
            record_release(session=session, tenant_id=settings.tenant.id, release=release)
    except (StoreError, SQLAlchemyError) as exc:
        return f"the release was not recorded in the store: {exc} ({unseen})"
    return None


@runbook_app.command("verify")
def verify_command(
    pdf: Annotated[Path, typer.Argument(help="Signed runbook PDF.", exists=True, dir_okay=False)],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Check against the configured signing certificate "
            "(default: $BREAKGLASS_CONFIG or ./breakglass.toml).",
            dir_okay=False,
        ),
    ] = None,
    cert: CertOption = None,
    manifest: ManifestOption = None,
    output_format: Annotated[
        str, typer.Option("--format", help="text or json.", case_sensitive=False)
    ] = "text",
) -> None:
    """Verify signature, coverage, signer and manifest. Exit 0 if valid, 5 if not.

    The signer is always checked against your certificate (--cert, or the one --config
    names); with neither, and no $BREAKGLASS_CONFIG or ./breakglass.toml, exit 2.
    """
    from breakglass.runbook import verify_runbook

    # pyHanko logs tracebacks for damaged files; the problems below already say what is wrong.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    output_format = output_format.lower()
    if output_format not in ("text", "json"):
        _exit(ExitCode.USAGE, f"error: --format must be text or json, not {output_format!r}")
    expected = expected_certificate(config, cert)
    result = verify_runbook(pdf, expected_cert=expected, manifest_path=manifest)
    for note in result.notes:
        _err(f"note: {note}")
    if output_format == "json":
        typer.echo(json.dumps(result.to_json_dict(), indent=2))
    elif result.ok:
        data = result.to_json_dict()
        typer.echo(
            f"VALID: {pdf} is runbook {data['doc_id']} version {data['version']}, valid until "
            f"{(data['valid_until'] or '')[:10]}, signed by {result.signer_subject} "
            f"(SHA-256 {result.signer_fingerprint})"
        )
    else:
        typer.echo(f"INVALID: {pdf}")
    for problem in result.problems:
        _err(f"error: {problem.message}")
    if not result.ok:
        raise typer.Exit(int(ExitCode.VERIFICATION_FAILED))


@runbook_app.command("verify-qr")
def verify_qr_command(
    payload: Annotated[str, typer.Argument(help="The QR payload, scanned or typed (BGRB1|…).")],
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="Check against the configured certificate.", dir_okay=False
        ),
    ] = None,
    cert: CertOption = None,
) -> None:
    """Check a QR payload from a printed page. Exit 0 if issued by the signer, 5 if not."""
    from breakglass.runbook import verify_qr

    expected = expected_certificate(config, cert)
    # A payload typed from paper may carry the spaces the page prints for readability.
    check = verify_qr("".join(payload.split()), expected)
    if not check.ok:
        _exit(ExitCode.VERIFICATION_FAILED, f"error: {check.reason}")
    typer.echo(f"OK: {check.reason}")


@keys_app.command("init")
def keys_init_command(
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key.")] = False,
) -> None:
    """Create a passphrase-protected ECDSA P-256 key and self-signed certificate (mode 0600)."""
    from breakglass.signing import init_keys

    settings = load(config)
    try:
        files = init_keys(settings, signing_passphrase(confirm=True), force=force)
    except SigningError as exc:
        _exit(ExitCode.USAGE, f"error: {exc}")
    _err(
        f"wrote {files.key_path} (encrypted private key) and {files.certificate_path} "
        f"(certificate, valid until {files.not_after:%Y-%m-%d}); keep the passphrase apart "
        "from the key"
    )
    typer.echo(f"sha256 {files.fingerprint}")
