"""Procedure sources: the YAML under ``runbooks/`` and where to find it.

``load_procedure`` reads one YAML file, checks it against the schema (unknown or missing
fields are errors that name the field), checks the ``{placeholders}`` it uses, and
refuses any text that looks like a secret. Placeholders are filled later, when the
tenant's facts are known (``Procedure.resolved``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from breakglass.errors import ConfigError
from breakglass.resources import data_dir
from breakglass.signing import looks_like_secret

__all__ = [
    "PLACEHOLDERS",
    "CheckItem",
    "ContactKey",
    "Notify",
    "Procedure",
    "SignInStep",
    "default_procedure_path",
    "load_procedure",
]

PROCEDURE_SCHEMA = "breakglass.runbook-procedure/v1"

#: Names a procedure may use as ``{name}``; their values come from config and snapshot.
PLACEHOLDERS = frozenset(
    {
        "tenant_name",
        "tenant_id",
        "initial_domain",
        "entra_url",
        "azure_portal_url",
        "login_url",
        "review_hours",
        "validation_days",
        "valid_days",
        "account_count",
    }
)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def default_procedure_path() -> Path:
    return data_dir("runbooks") / "emergency-access.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CheckItem(_Strict):
    """A line with a check box, optionally with a field to write in (``Ticket number``)."""

    text: str = Field(min_length=1)
    field: str | None = None


class SignInStep(_Strict):
    action: str = Field(min_length=1)
    #: What the person should see if all is well.
    expect: str | None = None
    field: str | None = None


class SignIn(_Strict):
    workstation: list[str] = Field(min_length=1)
    steps: list[SignInStep] = Field(min_length=1)


#: The ``[runbook.contacts]`` keys a notify entry may name (``contact: soc``).
ContactKey = Literal["soc", "ciso", "identity_owner", "legal"]


class Notify(_Strict):
    role: str = Field(min_length=1)
    when: str = Field(min_length=1)
    #: The configured contact that fills name, phone and email (``[runbook.contacts.<key>]``).
    contact: ContactKey | None = None
    name: str | None = None
    #: Out-of-band contacts: they must work when Entra ID, Teams and mail do not.
    phone: str | None = None
    email: str | None = None


class Validation(_Strict):
    interval_days: int = Field(90, ge=1, le=366)
    steps: list[str] = Field(min_length=1)


class Procedure(_Strict):
    """One procedure file, as written (placeholders unresolved until ``resolved``)."""

    schema_: Literal["breakglass.runbook-procedure/v1"] = Field(alias="schema")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    title: str = Field(min_length=1)
    procedure_version: str = Field(pattern=r"^[0-9A-Za-z.\-]{1,20}$")
    review_hours: int = Field(24, ge=1, le=168)
    purpose: str = Field(min_length=1)
    when_to_use: list[str] = Field(min_length=1)
    never_use_for: list[str] = Field(default_factory=list)
    preconditions: list[CheckItem] = Field(min_length=1)
    sign_in: SignIn
    key_failure: list[str] = Field(min_length=1)
    allowed_actions: list[str] = Field(min_length=1)
    stop_conditions: list[str] = Field(min_length=1)
    after_use: list[CheckItem] = Field(min_length=1)
    notify: list[Notify] = Field(min_length=1)
    validation: Validation

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def resolved(self, values: Mapping[str, str]) -> Procedure:
        """A copy with every ``{placeholder}`` replaced by its value."""
        missing = PLACEHOLDERS - values.keys()
        if missing:
            raise ValueError(f"no value for placeholders {sorted(missing)}")

        def fill(node: Any) -> Any:
            if isinstance(node, str):
                return _PLACEHOLDER.sub(lambda m: values[m.group(1)], node)
            if isinstance(node, list):
                return [fill(item) for item in node]
            if isinstance(node, dict):
                return {key: fill(item) for key, item in node.items()}
            return node

        return Procedure.model_validate(fill(self.to_json_dict()))


def _walk_strings(node: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(node, str):
        return [(path, node)]
    if isinstance(node, list):
        return [pair for i, item in enumerate(node) for pair in _walk_strings(item, f"{path}.{i}")]
    if isinstance(node, dict):
        return [
            pair
            for key, item in node.items()
            for pair in _walk_strings(item, f"{path}.{key}" if path else str(key))
        ]
    return []


def load_procedure(path: Path | None = None) -> Procedure:
    """Read and check a procedure file; every problem is a ``ConfigError`` naming the field."""
    path = path or default_procedure_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"runbook procedure {path} not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must hold a mapping of procedure fields")
    for field, text in _walk_strings(raw, ""):
        for name in _PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                raise ConfigError(
                    f"unknown placeholder {{{name}}} (known: {', '.join(sorted(PLACEHOLDERS))})",
                    field=f"{path.name}: {field}",
                )
        what = looks_like_secret(text)
        if what:
            raise ConfigError(
                f"looks like {what}; a runbook never holds secrets (keep PINs and "
                "combinations sealed separately)",
                field=f"{path.name}: {field}",
            )
    try:
        return Procedure.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(file)"
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown field"
        elif first["type"] == "missing":
            message = "is required"
        raise ConfigError(message, field=f"{path.name}: {where}") from None
