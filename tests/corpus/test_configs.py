"""Malformed configuration files across every command that reads one (issue 11, item 3).

Each bad file ends in one ``error: configuration: …`` line naming the field (or the file
and what is wrong with it), exit 2, no traceback, and no secret from the file echoed, for
``check``, ``watch``, ``serve``, ``audit``, ``runbook``, ``reviews``, ``keys``, ``tokens``,
``notify``, ``db`` and ``permissions``. The single-command cases of
tests/cli/test_no_traceback.py (readable secrets, duplicate accounts, missing
certificates…) are not repeated here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.cli import run_main
from tests.support.corpus import (
    CONFIG_COMMANDS,
    CONFIG_SECRET,
    MALFORMED_CONFIGS,
    BadConfig,
    base_config,
    write_bytes_config,
)

#: Run through every command, not just two.
EVERY_COMMAND = ["unterminated-string", "misspelt-key", "secret-in-client-id", "infinite-gap"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder with no breakglass.toml and no BREAKGLASS_* variables."""
    for name in list(os.environ):
        if name.startswith("BREAKGLASS_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.7\n")  # the verify commands' argument
    return tmp_path


def _assert_config_error(argv: list[str], needle: str) -> None:
    result = run_main(*argv)
    what = " ".join(argv[:2])
    assert result.escaped is None, f"{what}: {type(result.escaped).__name__}: {result.escaped}"
    assert "Traceback" not in result.stderr, what
    assert result.code == 2, (what, result.code, result.stderr)
    assert len(result.error_lines) == 1, (what, result.stderr)
    line = result.error_lines[0]
    assert line.startswith("error: "), (what, line)
    assert needle in line, (what, needle, line)
    assert CONFIG_SECRET not in result.stderr + result.stdout, (what, line)


@pytest.mark.parametrize(
    ("index", "case"), list(enumerate(MALFORMED_CONFIGS)), ids=[c.name for c in MALFORMED_CONFIGS]
)
def test_malformed_config_is_one_line_exit_2(workdir: Path, index: int, case: BadConfig) -> None:
    """Each broken file: ``check`` and one other command (in turn) refuse it in one line."""
    path = case.write(workdir)
    needle = case.needle.replace("{path}", str(path))
    other = CONFIG_COMMANDS[1 + index % (len(CONFIG_COMMANDS) - 1)]
    for argv in (CONFIG_COMMANDS[0], other):
        _assert_config_error([*argv, "-c", str(path)], needle)


@pytest.mark.parametrize("name", EVERY_COMMAND)
def test_every_command_refuses_a_malformed_config_alike(workdir: Path, name: str) -> None:
    """A syntax error, a misspelt key and a secret in the wrong field: the same refusal in
    every command that takes --config."""
    case = next(c for c in MALFORMED_CONFIGS if c.name == name)
    path = case.write(workdir)
    needle = case.needle.replace("{path}", str(path))
    assert len(CONFIG_COMMANDS) >= 14
    for argv in CONFIG_COMMANDS:
        _assert_config_error([*argv, "-c", str(path)], needle)


@pytest.mark.parametrize(
    "variant",
    ["--config folder", "BREAKGLASS_CONFIG folder", "missing", "symlink loop", "/dev/zero"],
)
def test_a_config_that_is_no_readable_file(
    workdir: Path, variant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder, a missing file, an unreadable path or an endless device: exit 2 naming the
    path, in every command."""
    folder = workdir / "conf.d"
    folder.mkdir()
    loop = workdir / "loop.toml"
    loop.symlink_to(loop)
    target, needle = {
        "--config folder": (folder, "is a directory"),
        "BREAKGLASS_CONFIG folder": (folder, f"cannot read {folder}"),
        "missing": (workdir / "absent.toml", "absent.toml"),
        "symlink loop": (loop, f"cannot read {loop}"),
        # endless: read only up to the limit, never to the end
        "/dev/zero": (Path("/dev/zero"), "/dev/zero is larger than 1 MiB"),
    }[variant]
    for argv in CONFIG_COMMANDS:
        args = list(argv)
        if variant.startswith("BREAKGLASS_CONFIG"):
            monkeypatch.setenv("BREAKGLASS_CONFIG", str(target))
            _assert_config_error(args, needle)
        else:
            _assert_config_error([*args, "-c", str(target)], needle)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file of mode 000")
def test_an_unreadable_config_file(workdir: Path) -> None:
    """A file of mode 000: exit 2, "cannot read" and the path."""
    path = base_config(workdir)
    path.chmod(0)
    for argv in CONFIG_COMMANDS:
        _assert_config_error([*argv, "-c", str(path)], f"cannot read {path}")


def test_a_byte_order_mark_is_not_a_syntax_error(workdir: Path) -> None:
    """A UTF-8 file saved with a byte-order mark (Windows editors) loads like any other."""
    from breakglass.config import load_settings

    plain = load_settings(base_config(workdir))
    text = base_config(workdir).read_bytes()
    path = write_bytes_config(workdir / "bom.toml", b"\xef\xbb\xbf" + text)
    assert load_settings(path).tenant.id == plain.tenant.id
