"""No Python traceback on any input: a battery of bad arguments, files and environment
variables through the real entry point ends in one short ``error:`` line and an exit code
of DESIGN §15 (2 usage/config, 4 incomplete, 5 verification) (issue 9, item 7)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from breakglass.simulator import scenario_path
from tests.support.cli import run_main

TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"
CLIENT = "0c7a1f51-2d3e-4b5a-9c8d-1e2f3a4b5c6d"
BG1 = "11111111-aaaa-4aaa-8aaa-000000000001"
BG2 = "11111111-aaaa-4aaa-8aaa-000000000002"
SECRET_PW = "S3cr3t-db-pass-word"

ACCOUNTS = f"""
[[accounts]]
upn = "bg1@contoso.onmicrosoft.com"
object_id = "{BG1}"
[[accounts]]
upn = "bg2@contoso.onmicrosoft.com"
object_id = "{BG2}"
"""


def _config(
    tmp: Path,
    *,
    credential: str = 'kind = "azure_cli"',
    store: str | None = None,
    accounts: str = ACCOUNTS,
    extra: str = "",
    mode: int = 0o600,
) -> Path:
    store_url = store or f"sqlite:///{tmp / 'store.db'}"
    path = tmp / "bg.toml"
    path.write_text(
        f'[tenant]\nid = "{TENANT}"\n[credential]\n{credential}\n'
        f'[store]\nurl = "{store_url}"\n{accounts}\n{extra}',
        encoding="utf-8",
    )
    path.chmod(mode)
    return path


def _scenario(tmp: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    raw = json.loads(scenario_path("minimal").read_text(encoding="utf-8"))
    edit(raw)
    path = tmp / "scenario.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def _cert(tmp: Path, text: str | None) -> str:
    path = tmp / "app.pem"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    return f'kind = "certificate"\nclient_id = "{CLIENT}"\ncertificate_path = "{path}"'


def _file(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _ca_bundle(tmp: Path, text: str | None) -> str:
    """An Azure CLI credential with a CA bundle at tmp/ca.pem (absent when ``text`` is None)."""
    if text is not None:
        _file(tmp / "ca.pem", text)
    return f'kind = "azure_cli"\nca_bundle = "{tmp / "ca.pem"}"'


def _migrated(config: Path) -> Path:
    """``config`` after ``db upgrade`` (so a command gets past the database check)."""
    assert run_main("db", "upgrade", "-c", str(config)).code == 0
    return config


def _deep_scenario(tmp: Path, depth: int) -> Path:
    """The minimal scenario with a user property nested ``depth`` objects deep."""
    path = _scenario(tmp, lambda r: r["users"][0].update(deep="@DEEP@"))
    deep = '{"a": ' * depth + '"x"' + "}" * depth
    path.write_text(path.read_text(encoding="utf-8").replace('"@DEEP@"', deep), encoding="utf-8")
    return path


def _set_custodians(value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(raw: dict[str, Any]) -> None:
        raw["breakglass"]["accounts"][0]["custodians"] = value

    return edit


#: name → (builder(tmp) returning (argv, env), expected exit code, text the line must hold)
Case = tuple[Callable[[Path], tuple[list[str], dict[str, str]]], int, str]

CASES: dict[str, Case] = {
    # enum-like options
    "check --format": (lambda t: (["check", "--format", "xml"], {}), 2, "'table', 'json'"),
    "check --fail-on": (lambda t: (["check", "--fail-on", "severe"], {}), 2, "'critical'"),
    "reviews list --state": (
        lambda t: (["reviews", "list", "--state", "pending", "-c", str(_config(t))], {}),
        2,
        "'open', 'submitted', 'approved', 'closed'",
    ),
    "reviews list --format": (
        lambda t: (["reviews", "list", "--format", "yaml", "-c", str(_config(t))], {}),
        2,
        "'table', 'json'",
    ),
    "reviews submit --classification": (
        lambda t: (
            [
                "reviews",
                "submit",
                "1",
                "--actor",
                "a",
                "--operator",
                "o",
                "--classification",
                "oops",
                "--justification",
                "j",
                "--actions",
                "x",
                "--root-cause",
                "r",
                "-c",
                str(_config(t)),
            ],
            {},
        ),
        2,
        "'drill', 'emergency'",
    ),
    "audit verify --format": (
        lambda t: (["audit", "verify", "--format", "yaml", "-c", str(_config(t))], {}),
        2,
        "'text', 'json'",
    ),
    "--log-level": (lambda t: (["--log-level", "loud", "check"], {}), 2, "'debug'"),
    "unknown command": (lambda t: (["frobnicate"], {}), 2, "frobnicate"),
    # configuration found inside a command
    "missing certificate": (
        lambda t: (["check", "--no-store", "-c", str(_config(t, credential=_cert(t, None)))], {}),
        2,
        "credential.certificate_path",
    ),
    "watch --once, missing certificate": (
        lambda t: (
            ["watch", "--once", "-c", str(_migrated(_config(t, credential=_cert(t, None))))],
            {},
        ),
        2,
        "credential.certificate_path",
    ),
    "permissions, missing certificate": (
        lambda t: (["permissions", "-c", str(_config(t, credential=_cert(t, None)))], {}),
        2,
        "credential.certificate_path",
    ),
    "non-PEM certificate": (
        lambda t: (
            ["check", "--no-store", "-c", str(_config(t, credential=_cert(t, "not a pem")))],
            {},
        ),
        2,
        "credential.certificate_path",
    ),
    "missing CA bundle": (
        lambda t: (
            ["check", "--no-store", "-c", str(_config(t, credential=_ca_bundle(t, None)))],
            {},
        ),
        2,
        "credential.ca_bundle",
    ),
    "non-PEM CA bundle": (
        lambda t: (
            ["check", "--no-store", "-c", str(_config(t, credential=_ca_bundle(t, "garbage")))],
            {},
        ),
        2,
        "credential.ca_bundle",
    ),
    "SQLite in a missing folder": (
        lambda t: (["check", "-c", str(_config(t, store=f"sqlite:///{t / 'no' / 'x.db'}"))], {}),
        2,
        "",
    ),
    "SQLite path is a folder": (
        lambda t: (["check", "-c", str(_config(t, store=f"sqlite:///{t}"))], {}),
        2,
        "",
    ),
    "store URL of no known database": (
        lambda t: (["db", "upgrade", "-c", str(_config(t, store="nonsense://x/y"))], {}),
        2,
        "nonsense://x/y",
    ),
    "bad JSON in an environment variable": (
        lambda t: (["check", "-c", str(_config(t))], {"BREAKGLASS_EXCLUSION_GROUPS": "[oops"}),
        2,
        "BREAKGLASS_EXCLUSION_GROUPS",
    ),
    "bad JSON in an indexed environment variable": (
        lambda t: (
            ["check", "-c", str(_config(t))],
            {"BREAKGLASS_ACCOUNTS__0__CUSTODIANS": "[{"},
        ),
        2,
        "BREAKGLASS_ACCOUNTS__0__CUSTODIANS",
    ),
    "database password in a readable file": (
        lambda t: (
            [
                "check",
                "-c",
                str(_config(t, store=f"postgresql+psycopg://bg:{SECRET_PW}@db/bg", mode=0o644)),
            ],
            {},
        ),
        2,
        "store.url",
    ),
    "empty account list": (
        lambda t: (["check", "-c", str(_config(t, accounts="accounts = []"))], {}),
        2,
        "accounts",
    ),
    "no accounts declared": (
        lambda t: (["check", "-c", str(_config(t, accounts=""))], {}),
        2,
        "accounts",
    ),
    "duplicate UPN, other case": (
        lambda t: (
            [
                "check",
                "-c",
                str(_config(t, accounts=ACCOUNTS.replace("bg2@contoso", "BG1@Contoso"))),
            ],
            {},
        ),
        2,
        "accounts.1.upn",
    ),
    "config is a folder": (lambda t: (["check", "-c", str(t)], {}), 2, ""),
    "check --output into a missing folder": (
        lambda t: (["check", "-c", str(_config(t)), "-o", str(t / "no" / "r.json")], {}),
        2,
        str(Path("no")),
    ),
    "runbook build --out below a file": (
        lambda t: (
            [
                "runbook",
                "build",
                "-c",
                str(_config(t)),
                "--out",
                str(_file(t / "afile", "x") / "r.pdf"),
            ],
            {},
        ),
        2,
        "afile is not a folder",
    ),
    "reviews report --out below a file": (
        lambda t: (
            [
                "reviews",
                "report",
                "1",
                "-c",
                str(_config(t)),
                "--out",
                str(_file(t / "afile", "x") / "r.pdf"),
            ],
            {},
        ),
        2,
        "afile is not a folder",
    ),
    # scenario files
    "scenario: custodians as strings": (
        lambda t: (["simulate", "--scenario", str(_scenario(t, _set_custodians(["Ann"])))], {}),
        2,
        "breakglass.accounts[0].custodians[0]",
    ),
    "scenario: custodian without name": (
        lambda t: (
            ["simulate", "--scenario", str(_scenario(t, _set_custodians([{"email": "a@b.c"}])))],
            {},
        ),
        2,
        "breakglass.accounts[0].custodians[0]",
    ),
    "scenario: custodian with unknown key": (
        lambda t: (
            [
                "simulate",
                "--scenario",
                str(_scenario(t, _set_custodians([{"name": "Ann", "pager": "1"}]))),
            ],
            {},
        ),
        2,
        "pager",
    ),
    "scenario: nesting deeper than the JSON loader goes": (
        lambda t: (["simulate", "--scenario", str(_deep_scenario(t, 100_000))], {}),
        2,
        "nests deeper",
    ),
    "scenario: nesting deeper than any Graph resource": (
        lambda t: (["simulate", "--scenario", str(_deep_scenario(t, 200))], {}),
        2,
        "nests deeper",
    ),
    "scenario: +99999999d": (
        lambda t: (
            [
                "simulate",
                "--scenario",
                str(_scenario(t, lambda r: r["users"][0].update(createdDateTime="+99999999d"))),
            ],
            {},
        ),
        2,
        "+99999999d",
    ),
    "scenario: not an object": (
        lambda t: (["simulate", "--scenario", str(_file(t / "s.json", "[1, 2]"))], {}),
        2,
        "JSON object",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_never_a_traceback(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each bad input ends in one short error line, an exit code of DESIGN §15, no traceback."""
    build, expected, needle = CASES[name]
    for var in ("BREAKGLASS_CONFIG", "BREAKGLASS_CREDENTIAL__CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    argv, env = build(tmp_path)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    result = run_main(*argv)
    assert result.escaped is None, f"{name}: {type(result.escaped).__name__}: {result.escaped}"
    assert "Traceback" not in result.stderr
    assert result.code == expected, (name, result.code, result.stderr)
    lines = result.error_lines
    assert len(lines) == 1, (name, result.stderr)
    assert lines[0].startswith("error: "), lines[0]
    assert len(lines[0]) < 400, lines[0]
    assert needle in lines[0], (name, lines[0])
    assert SECRET_PW not in result.stderr + result.stdout


def test_an_unexpected_exception_is_one_internal_error_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A bug surfaces as one "internal error" line with exit 1; the traceback only at debug."""
    import breakglass.config

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(breakglass.config, "load_settings", broken)
    result = run_main("check", "-c", str(_config(tmp_path)))
    assert result.escaped is None
    assert result.code == 1
    assert result.error_lines == [
        "internal error: ZeroDivisionError: boom (a bug; rerun with --log-level debug for "
        "the traceback)"
    ]


def test_indexed_environment_form_sets_a_list_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """BREAKGLASS_NOTIFICATIONS__CHANNELS__0__URL, the form the product suggests, works."""
    from breakglass.config import load_settings

    url = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop"
    path = _config(tmp_path, extra='[[notifications.channels]]\nname = "soc"\nkind = "slack"\n')
    monkeypatch.setenv("BREAKGLASS_NOTIFICATIONS__CHANNELS__0__URL", url)
    monkeypatch.setenv("BREAKGLASS_ACCOUNTS__1__CREDENTIAL_LOCATION", "Safe B")
    settings = load_settings(path)
    channel = settings.notifications.channels[0]
    assert channel.url is not None and channel.url.get_secret_value() == url
    assert settings.accounts[1].credential_location == "Safe B"


def test_readable_secret_message_names_a_working_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The refusal of a readable channel URL names a variable that then loads."""
    from breakglass.config import load_settings
    from breakglass.errors import ConfigError

    url = "https://hooks.slack.com/services/T000/B000/abcdefghijklmnop"
    channel = f'[[notifications.channels]]\nname = "soc"\nkind = "slack"\nurl = "{url}"\n'
    path = _config(tmp_path, extra=channel, mode=0o644)
    with pytest.raises(ConfigError) as refused:
        load_settings(path)
    variable = str(refused.value).split("(")[-1].rstrip(")")
    assert variable == "BREAKGLASS_NOTIFICATIONS__CHANNELS__0__URL"
    path.write_text(path.read_text().replace(f'url = "{url}"\n', ""))
    monkeypatch.setenv(variable, url)
    assert load_settings(path).notifications.channels[0].url is not None


def test_enum_lists_match_the_domain() -> None:
    """The CLI's spelled-out choices equal the domain's (formats, classifications)."""
    from breakglass.cli._common import REVIEW_CLASSIFICATIONS
    from breakglass.cli.check import FORMATS
    from breakglass.output import FORMATS as OUTPUT_FORMATS
    from breakglass.reviews import CLASSIFICATIONS

    assert FORMATS == OUTPUT_FORMATS
    assert REVIEW_CLASSIFICATIONS == CLASSIFICATIONS
