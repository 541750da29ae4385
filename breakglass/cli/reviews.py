"""``breakglass watch``, ``breakglass reviews …`` and ``breakglass drill …`` (DESIGN §15).

Mutating commands require an explicit ``--actor``. Refusals (unknown review, wrong state,
two-person rule, no rotation) exit 2 with the reason on stderr; a Graph failure exits 4.
Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from breakglass.cli._common import (
    CertOption,
    ConfigOption,
    ManifestOption,
    ReviewClassification,
    ReviewState,
    fail,
    load,
    say,
    writable_output,
)
from breakglass.cli._review_card import review_card
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from breakglass.config import Settings
    from breakglass.store import Store

__all__ = ["drill_app", "opened", "reviews_app"]

reviews_app = typer.Typer(
    help="After-action reviews of emergency-account use.", no_args_is_help=True
)
drill_app = typer.Typer(help="Pre-registered drills.", no_args_is_help=True)

ActorOpt = Annotated[str, typer.Option("--actor", help="Who does this (recorded).")]
FormatOpt = Annotated[
    Literal["table", "json"], typer.Option("--format", "-f", case_sensitive=False, help="Output.")
]


@contextmanager
def _refusals() -> Iterator[None]:
    """Map review refusals to exit 2 and Graph failures to exit 4."""
    from breakglass.errors import GraphError, StoreError
    from breakglass.reviews import ReviewError

    try:
        yield
    except (ReviewError, StoreError) as exc:
        fail(str(exc), ExitCode.USAGE)
    except GraphError as exc:
        fail(f"Microsoft Graph: {exc}", ExitCode.INCOMPLETE)


@contextmanager
def opened(settings: Settings) -> Iterator[Store]:
    """The command's one Store (migration checked once); refusals mapped to exit codes."""
    from breakglass.store import Store

    with _refusals(), Store.open(settings.store_url) as store:
        yield store


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


@reviews_app.command("list")
def list_command(
    config: ConfigOption = None,
    state: Annotated[
        ReviewState | None, typer.Option(case_sensitive=False, help="Only reviews in this state.")
    ] = None,
    fmt: FormatOpt = "table",
) -> None:
    """List reviews."""
    settings = load(config)
    from breakglass.reviews import list_reviews

    with opened(settings) as store, store.session() as session:
        items = list_reviews(session, settings, state=state)
    if fmt == "json":
        _print_json(items)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "kind", "state", "account", "opened", "due", "sign-ins", "class")
    for r in items:
        table.add_row(
            str(r["id"]),
            r["kind"],
            r["state"],
            r["account"]["upn"],
            r["opened_at"],
            r["due_at"] or "-",
            str(len(r["signin_ids"])),
            r["classification"] or "-",
        )
    Console().print(table)


@reviews_app.command("show")
def show_command(review_id: int, config: ConfigOption = None, fmt: FormatOpt = "table") -> None:
    """Show one review with its sign-ins, evidence and history."""
    settings = load(config)
    from breakglass.reviews import show_review

    with opened(settings) as store, store.session() as session:
        detail = show_review(session, settings, review_id)
    if fmt == "json":
        _print_json(detail)
        return
    sys.stdout.write(review_card(detail))


def _run(settings: Settings, action: Callable[[Store], Any], done: str) -> Any:
    with opened(settings) as store:
        result = action(store)
    say(done)
    return result


def _in_transaction(action: Callable[[Session], Any]) -> Callable[[Store], Any]:
    def run(store: Store) -> Any:
        with store.transaction() as session:
            return action(session)

    return run


@reviews_app.command("submit")
def submit_command(
    review_id: int,
    actor: ActorOpt,
    operator: Annotated[str, typer.Option(help="Who used the account.")],
    classification: Annotated[
        ReviewClassification, typer.Option(case_sensitive=False, help="What the use was.")
    ],
    justification: Annotated[str, typer.Option(help="Why the account was used.")],
    actions: Annotated[str, typer.Option(help="What was done with the account.")],
    root_cause: Annotated[str, typer.Option(help="Why the normal admin path failed.")],
    follow_up: Annotated[
        list[str] | None, typer.Option("--follow-up", help="A follow-up action (repeatable).")
    ] = None,
    ticket: Annotated[str | None, typer.Option(help="Ticket reference.")] = None,
    config: ConfigOption = None,
) -> None:
    """Submit the operator's account of the session (gathers and freezes the evidence)."""
    settings = load(config)
    from breakglass.reviews import submit

    _run(
        settings,
        lambda store: submit(
            store,
            settings,
            review_id,
            actor=actor,
            operator=operator,
            classification=classification,
            justification=justification,
            actions=actions,
            root_cause=root_cause,
            follow_ups=follow_up or [],
            ticket=ticket,
        ),
        f"review {review_id} submitted",
    )


@reviews_app.command("approve")
def approve_command(review_id: int, actor: ActorOpt, config: ConfigOption = None) -> None:
    """Approve a submitted review (not by its operator or submitter)."""
    settings = load(config)
    from breakglass.reviews import approve

    _run(
        settings,
        _in_transaction(lambda session: approve(session, settings, review_id, actor=actor)),
        f"review {review_id} approved",
    )


@reviews_app.command("reopen")
def reopen_command(
    review_id: int,
    actor: ActorOpt,
    comment: Annotated[str, typer.Option(help="Why it goes back to the operator.")],
    config: ConfigOption = None,
) -> None:
    """Send a submitted or approved review back to open."""
    settings = load(config)
    from breakglass.reviews import reopen

    _run(
        settings,
        _in_transaction(
            lambda session: reopen(session, settings, review_id, actor=actor, comment=comment)
        ),
        f"review {review_id} reopened",
    )


@reviews_app.command("close")
def close_command(
    review_id: int,
    actor: ActorOpt,
    waiver: Annotated[
        str | None,
        typer.Option(
            help="Close without rotation, for this reason: only a drill inside a "
            "pre-registered drill window, or a false_positive attempt (failed sign-ins only)."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Close an approved review once a fresh snapshot confirms credential rotation (or on a
    recorded waiver: see --waiver)."""
    settings = load(config)
    from breakglass.reviews import close

    proof = _run(
        settings,
        lambda store: close(store, settings, review_id, actor=actor, waiver_reason=waiver),
        f"review {review_id} closed",
    )
    _print_json(proof)


def _when(value: str, name: str) -> datetime:

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{name} is not an ISO 8601 time: {value!r}", ExitCode.USAGE)
    if moment.tzinfo is None:
        fail(f"{name} needs a time zone, e.g. {value}Z or {value}+00:00", ExitCode.USAGE)
    return moment


@drill_app.command("schedule")
def schedule_command(
    account: Annotated[str, typer.Option(help="UPN, object id or 'all'.")],
    start: Annotated[str, typer.Option(help="ISO 8601 start, with time zone.")],
    end: Annotated[str, typer.Option(help="ISO 8601 end, with time zone.")],
    actor: ActorOpt,
    reason: Annotated[str, typer.Option(help="What the drill exercises.")],
    config: ConfigOption = None,
) -> None:
    """Register a drill window: sign-ins in it are classified as drills."""
    settings = load(config)
    from breakglass.reviews import schedule_drill

    starts, ends = _when(start, "--start"), _when(end, "--end")
    drill_id = _run(
        settings,
        _in_transaction(
            lambda session: schedule_drill(
                session,
                settings,
                account=account,
                starts=starts,
                ends=ends,
                actor=actor,
                reason=reason,
            )
        ),
        "drill scheduled",
    )
    _print_json({"drill_window_id": drill_id})


@reviews_app.command("report")
def report_command(
    review_id: int,
    out: Annotated[Path, typer.Option("--out", "-o", help="Signed PDF to write.", dir_okay=False)],
    config: ConfigOption = None,
) -> None:
    """Export a closed review as a signed PDF report plus FILE.pdf.manifest.json."""
    writable_output(out, "--out", create=True)
    settings = load(config)
    from breakglass.cli._common import signing_passphrase
    from breakglass.errors import SigningError
    from breakglass.reviews import export_review_report

    with opened(settings) as store, store.session() as session:
        try:
            result = export_review_report(
                settings, review_id, out, session=session, passphrase=lambda: signing_passphrase()
            )
        except SigningError as exc:
            fail(f"signing: {exc}", ExitCode.USAGE)
    _print_json(result.to_json_dict())
    say(f"signed report of review {review_id} written to {out}; manifest {result.manifest_path}")


@reviews_app.command("verify-report")
def verify_report_command(
    pdf: Annotated[Path, typer.Argument(help="Signed report PDF.", exists=True, dir_okay=False)],
    config: ConfigOption = None,
    cert: CertOption = None,
    manifest: ManifestOption = None,
) -> None:
    """Verify a report's signature, signer and manifest. Exit 0 if valid, 5 if not.

    The signer is always checked against your certificate (--cert, or the one --config
    names); with neither, and no $BREAKGLASS_CONFIG or ./breakglass.toml, exit 2.
    """
    import logging

    from breakglass.cli._trust import expected_certificate
    from breakglass.reviews import verify_review_report

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    expected = expected_certificate(config, cert)
    result = verify_review_report(pdf, expected_cert=expected, manifest_path=manifest)
    if result.ok:
        review = (result.manifest or {}).get("review_id")
        sys.stdout.write(
            f"VALID: {pdf} is the report of review {review}, signed by {result.signer_subject} "
            f"(SHA-256 {result.signer_fingerprint})\n"
        )
        return
    sys.stdout.write(f"INVALID: {pdf}\n")
    for problem in result.problems:
        typer.echo(f"error: {problem.message}", err=True)
    raise typer.Exit(int(ExitCode.VERIFICATION_FAILED))
