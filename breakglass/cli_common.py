"""What every `breakglass` sub-command shares: the --config option, config loading, exits.

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

__all__ = ["ConfigOption", "fail", "load"]

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


def load(config: Path | None) -> Settings:
    """The settings, or exit 2 naming the broken field."""
    from breakglass.config import load_settings

    try:
        return load_settings(config)
    except ConfigError as exc:
        fail(f"configuration: {exc}", ExitCode.USAGE)
