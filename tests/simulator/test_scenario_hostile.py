"""Hostile or malformed scenario values are clear ``ScenarioError``s naming the place, never
a ``RecursionError`` or ``OverflowError`` (issue 9, item 7)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from breakglass.errors import ScenarioError
from breakglass.simulator import load_scenario, scenario_path


def _minimal() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(scenario_path("minimal").read_text(encoding="utf-8"))
    return raw


def test_deeply_nested_mapping_is_refused_with_its_place() -> None:
    """A scenario mapping nested thousands of levels deep is refused, naming where."""
    raw = _minimal()
    node: Any = "x"
    for _ in range(5000):
        node = {"a": node}
    raw["users"][0]["deep"] = node
    with pytest.raises(ScenarioError, match=r"users\[0\]\.deep\.a\.a.*nests deeper than 64"):
        load_scenario(raw)


@pytest.mark.parametrize("value", ["+99999999d", "-99999999w", "+99999999999999999999999s"])
def test_relative_time_out_of_range_names_the_field(value: str) -> None:
    """A relative time beyond the calendar names the field, never overflows."""
    raw = _minimal()
    raw["users"][0]["createdDateTime"] = value
    with pytest.raises(ScenarioError, match=r"users\[0\]\.createdDateTime: the relative time"):
        load_scenario(raw)


@pytest.mark.parametrize(
    ("custodians", "where"),
    [
        (["Ann Admin"], r"custodians\[0\]: must be an object"),
        ([{"email": "ann@fabrikam.com"}], r"custodians\[0\]\.name: is required"),
        ([{"name": "Ann", "pager": "1"}], r"custodians\[0\]: unknown key 'pager'"),
        ([{"name": "Ann", "phone": 4420}], r"custodians\[0\]\.phone: must be a string"),
        ("Ann Admin", r"custodians: must be a list"),
    ],
)
def test_custodians_are_validated_with_field_paths(custodians: Any, where: str) -> None:
    """Custodians given as strings, without a name or with unknown keys name their path."""
    raw = _minimal()
    raw["breakglass"]["accounts"][0]["custodians"] = custodians
    with pytest.raises(ScenarioError, match=r"breakglass\.accounts\[0\]\." + where):
        load_scenario(raw)
