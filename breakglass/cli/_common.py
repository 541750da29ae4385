"""What every `breakglass` sub-command shares: the --config option, config loading, exits,
the signing passphrase.

Kept free of heavy imports so that mounting sub-commands keeps `breakglass --help` fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from breakglass.errors import ConfigError
from breakglass.exitcodes import ExitCode

if TYPE_CHECKING:
    from breakglass.config import Settings

__all__ = ["ConfigOption", "fail", "load", "say", "signing_passphrase"]

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


def load(config: Path | None) -> Settings:
    """The settings, or exit 2 naming the broken field."""
    from breakglass.config import load_settings

    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(f"configuration: {exc}", ExitCode.USAGE)


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
