"""What every `breakglass` sub-command shares: the --config option, config loading, exits,
the signing passphrase.

Kept free of heavy imports so that mounting sub-commands keeps `breakglass --help` fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, NoReturn, get_args

import typer

from breakglass.errors import ConfigError
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.config import Settings

__all__ = [
    "REVIEW_CLASSIFICATIONS",
    "REVIEW_STATES",
    "CertOption",
    "ConfigOption",
    "ManifestOption",
    "ReviewClassification",
    "ReviewState",
    "fail",
    "load",
    "say",
    "signing_passphrase",
    "writable_output",
]

#: The review states and classifications (``breakglass.reviews``), spelled here so that the
#: options refuse anything else with exit 2 and the allowed list, without importing the
#: review package at start-up (a test keeps them equal).
#: ``--cert``: the certificate a signed document's signer must match (verify commands).
CertOption = Annotated[
    Path | None,
    typer.Option(
        "--cert", help="Check against this certificate (PEM/DER).", exists=True, dir_okay=False
    ),
]
#: ``--manifest``: the signed manifest beside a PDF (verify commands).
ManifestOption = Annotated[
    Path | None,
    typer.Option("--manifest", help="Manifest (default: FILE.pdf.manifest.json).", dir_okay=False),
]
ReviewState = Literal["open", "submitted", "approved", "closed"]
ReviewClassification = Literal["drill", "emergency", "misuse", "false_positive"]
REVIEW_STATES: tuple[str, ...] = get_args(ReviewState)
REVIEW_CLASSIFICATIONS: tuple[str, ...] = get_args(ReviewClassification)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Configuration file (default: $BREAKGLASS_CONFIG or ./breakglass.toml).",
        dir_okay=False,
    ),
]


def fail(message: str, code: ExitCode) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(int(code))


def say(message: str) -> None:
    """A progress line for people, on stderr (stdout stays machine output)."""
    from rich.console import Console

    Console(stderr=True).print(message, highlight=False)


def load(config: Path | None, *, accounts: bool = False) -> Settings:
    """The settings, or exit 2 naming the broken field.

    ``accounts=True`` for commands about the emergency accounts (check, watch, reviews,
    runbook): a configuration that declares none is refused rather than read as clean.
    """
    from breakglass.config import load_settings, require_accounts

    try:
        settings = load_settings(config)
        if accounts:
            require_accounts(settings)
    except ConfigError as exc:
        fail(f"configuration: {exc}", ExitCode.USAGE)
    return settings


def writable_output(path: Path | None, option: str = "--output", *, create: bool = False) -> None:
    """Exit 2 naming ``path`` unless a file can be written there; checked before any work.

    ``create``: the command creates missing folders, so the nearest existing one must be a
    folder that can be written.
    """
    import os

    if path is None:
        return
    if path.is_dir():
        fail(f"{option} {path} is a folder; give a file name", ExitCode.USAGE)
    folder = path.parent
    if create:
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        fail(f"{option} {path}: {folder} {what}", ExitCode.USAGE)
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        fail(f"{option} {path}: permission denied", ExitCode.USAGE)


def signing_passphrase(*, confirm: bool = False) -> str:
    """From $BREAKGLASS_SIGNING_PASSPHRASE, else asked on the terminal (never echoed)."""
    import os
    import sys

    from breakglass.errors import SigningError
    from breakglass.signing import PASSPHRASE_ENV

    value = os.environ.get(PASSPHRASE_ENV)
    if value:
        return value
    if not sys.stdin.isatty():
        raise SigningError(f"no passphrase: set {PASSPHRASE_ENV} (no terminal to ask on)")
    answer: str = typer.prompt(
        "Signing key passphrase", hide_input=True, confirmation_prompt=confirm, err=True
    )
    return answer
