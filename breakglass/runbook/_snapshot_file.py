"""Read a ``TenantSnapshot`` saved as JSON (``runbook build --snapshot-file``).

The file mirrors the snapshot dataclasses field by field (``dataclasses.asdict`` with
ISO-8601 times), so a snapshot taken elsewhere, e.g. on a machine that can reach Graph,
can be printed on an offline one. Unknown or ill-typed fields are a ``ConfigError``
naming the field. (Belongs next to ``TenantSnapshot`` once the snapshot module grows a
serialiser; kept here until then.)
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from breakglass import snapshot as snapshot_module
from breakglass.errors import ConfigError
from breakglass.snapshot import TenantSnapshot, frozen_mapping

__all__ = ["load_snapshot_file"]


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        return _convert(value, options[0], where) if len(options) == 1 else value
    if hint is Any:
        return value
    if hint is datetime:
        if not isinstance(value, str):
            raise ConfigError("must be an ISO-8601 time", field=where)
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{value!r} is not an ISO-8601 time", field=where) from None
        if moment.tzinfo is None:
            raise ConfigError(f"{value!r} has no timezone", field=where)
        return moment
    if is_dataclass(hint) and isinstance(hint, type):
        return _dataclass(value, hint, where)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError("must be a list", field=where)
        return tuple(_convert(item, args[0], f"{where}.{i}") for i, item in enumerate(value))
    if origin in (Mapping, dict) or hint is Mapping:
        if not isinstance(value, dict):
            raise ConfigError("must be an object", field=where)
        item_hint = args[1] if len(args) == 2 else Any
        return frozen_mapping(
            {key: _convert(item, item_hint, f"{where}.{key}") for key, item in value.items()}
        )
    if hint in (str, bool, int, float) and not isinstance(value, hint):
        raise ConfigError(f"must be {hint.__name__}", field=where)
    return value


def _dataclass(value: Any, cls: type, where: str) -> Any:
    if not isinstance(value, dict):
        raise ConfigError("must be an object", field=where or "(file)")
    hints = typing.get_type_hints(cls, vars(snapshot_module))
    known = {f.name for f in fields(cls)}
    unknown = set(value) - known
    if unknown:
        raise ConfigError("unknown field", field=f"{where}.{sorted(unknown)[0]}".lstrip("."))
    kwargs = {
        name: _convert(item, hints[name], f"{where}.{name}".lstrip("."))
        for name, item in value.items()
    }
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"incomplete ({exc})", field=where or "(file)") from None


def load_snapshot_file(path: Path) -> TenantSnapshot:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"snapshot file {path} not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read snapshot file {path}: {exc}") from None
    snapshot = _dataclass(raw, TenantSnapshot, "")
    assert isinstance(snapshot, TenantSnapshot)
    return snapshot
