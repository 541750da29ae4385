"""Procedure sources: the shipped YAML, the schema check and the secret refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from breakglass.errors import ConfigError
from breakglass.resources import data_dir
from breakglass.runbook import load_procedure
from breakglass.runbook._sources import default_procedure_path
from breakglass.signing import looks_like_secret


def _write(tmp_path: Path, change: dict[str, object]) -> Path:
    raw = yaml.safe_load(default_procedure_path().read_text())
    raw.update(change)
    path = tmp_path / "proc.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


def test_data_dir_finds_the_shipped_runbooks() -> None:
    """data_dir('runbooks') finds the procedure sources in a checkout."""
    assert (data_dir("runbooks") / "emergency-access.yaml").is_file()


def test_default_procedure_loads_and_covers_the_essentials() -> None:
    """The default procedure covers the Microsoft-listed emergencies and after-use steps."""
    procedure = load_procedure()
    text = " ".join(procedure.when_to_use).lower()
    for word in ("federation", "mfa", "global administrator", "pim", "disaster"):
        assert word in text
    after = " ".join(item.text for item in procedure.after_use).lower()
    for word in ("seal", "soc", "logs", "rotate", "review"):
        assert word in after
    assert procedure.validation.interval_days == 90


def test_unknown_field_is_named(tmp_path: Path) -> None:
    """A misspelt field in the YAML is refused with the field's name."""
    with pytest.raises(ConfigError, match=r"proc.yaml: whenn_to_use: unknown field"):
        load_procedure(_write(tmp_path, {"whenn_to_use": ["x"]}))


def test_wrong_type_is_named(tmp_path: Path) -> None:
    """A field of the wrong shape is refused with its path."""
    with pytest.raises(ConfigError, match=r"sign_in\.steps"):
        load_procedure(_write(tmp_path, {"sign_in": {"workstation": ["a"], "steps": "go"}}))


def test_invalid_yaml_is_a_config_error(tmp_path: Path) -> None:
    """YAML that does not parse is a ConfigError naming the file."""
    path = tmp_path / "bad.yaml"
    path.write_text("title: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml is not valid YAML"):
        load_procedure(path)


def test_secret_in_procedure_is_refused(tmp_path: Path) -> None:
    """A PIN written into the procedure is refused before anything is printed."""
    path = _write(tmp_path, {"key_failure": ["Use the spare key, PIN: 482913"]})
    with pytest.raises(ConfigError, match=r"key_failure\.0: looks like a PIN"):
        load_procedure(path)


def test_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    """A placeholder the builder cannot fill is refused with its name."""
    with pytest.raises(ConfigError, match=r"unknown placeholder \{tenant_nme\}"):
        load_procedure(_write(tmp_path, {"purpose": "Regain control of {tenant_nme}."}))


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN PRIVATE KEY-----",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
        "Zq8Q~n0tARealSecretButLooksLikeOne12345678",
        "safe combination is 12-34-56",
        "password=Winter2025!",
        "token 3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1",
    ],
)
def test_secret_patterns_are_recognised(text: str) -> None:
    """Keys, tokens, client secrets and PIN/combination values are recognised."""
    assert looks_like_secret(text)


@pytest.mark.parametrize(
    "text",
    [
        "Enter the PIN from the sealed PIN envelope.",
        "Object id 11111111-2222-4333-8444-555555555555",
        "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/ActiveDirectoryMenuBlade",
        "+44 20 7946 0001",
    ],
)
def test_ordinary_text_is_not_a_secret(text: str) -> None:
    """Procedure prose, GUIDs, URLs and phone numbers pass the secret check."""
    assert looks_like_secret(text) is None
