"""Scenario loading: validation messages, relative timestamps, built-in scenarios."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from breakglass.errors import ScenarioError
from breakglass.simulator import load_scenario, scenario_path

TENANT = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"


def tiny(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "organization": [{"id": TENANT, "displayName": "T", "verifiedDomains": []}],
        "users": [{"id": "u1", "userPrincipalName": "a@t.onmicrosoft.com"}],
    }
    base.update(extra)
    return base


def test_builtin_scenarios_load() -> None:
    """The shipped demo and minimal scenarios load and declare their accounts."""
    demo = load_scenario(scenario_path("demo"))
    minimal = load_scenario(scenario_path("minimal"))
    assert len(demo.breakglass["accounts"]) == 3
    assert len(minimal.breakglass["accounts"]) == 2
    assert demo.tenant_name == "Contoso"
    assert len(demo.collections["users"]) >= 30


def test_relative_timestamps_resolve_against_now() -> None:
    """'-2h', '+1d', '-30m', '-90s' become ISO timestamps relative to the load time."""
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    scenario = load_scenario(
        tiny(
            signIns=[
                {"id": "a", "createdDateTime": "-2h"},
                {"id": "b", "createdDateTime": "+1d"},
                {"id": "c", "createdDateTime": "-30m", "nested": {"x": "-90s"}},
                {"id": "d", "createdDateTime": "-3d"},
            ]
        ),
        now=now,
    )
    rows = {r["id"]: r for r in scenario.collections["signIns"]}
    assert rows["a"]["createdDateTime"] == "2026-03-01T10:00:00Z"
    assert rows["b"]["createdDateTime"] == "2026-03-02T12:00:00Z"
    assert rows["c"]["createdDateTime"] == "2026-03-01T11:30:00Z"
    assert rows["c"]["nested"]["x"] == "2026-03-01T11:58:30Z"
    assert rows["d"]["createdDateTime"] == "2026-02-26T12:00:00Z"


def test_absolute_and_odd_timestamps_pass_through() -> None:
    """Absolute ISO values and Graph's odd '' / 0001-01-01 values are kept verbatim."""
    activity = {
        "lastSignInDateTime": "2020-03-13T19:15:41.6195833Z",
        "lastSuccessfulSignInDateTime": "",
        "lastNonInteractiveSignInDateTime": "0001-01-01T00:00:00Z",
    }
    scenario = load_scenario(tiny(users=[{"id": "u1", "signInActivity": activity}]))
    assert scenario.collections["users"][0]["signInActivity"] == activity


def test_broken_json_names_line_and_column(tmp_path: Path) -> None:
    """Invalid JSON is a ScenarioError naming the file, line and column."""
    path = tmp_path / "broken.json"
    path.write_text('{\n  "users": [\n    {"id": "a",}\n  ]\n}\n')
    with pytest.raises(ScenarioError, match=r"broken\.json: line 3 column \d+"):
        load_scenario(path)


def test_unknown_top_level_key_is_refused() -> None:
    """A misspelt collection name is an error, not silently ignored."""
    with pytest.raises(ScenarioError, match="unknown top-level key 'userz'"):
        load_scenario(tiny(userz=[]))


def test_item_without_id_names_collection_and_index() -> None:
    """An item missing 'id' is reported with its collection and position."""
    with pytest.raises(ScenarioError, match=r"groups\[1\]: has no 'id'"):
        load_scenario(tiny(groups=[{"id": "g1"}, {"displayName": "no id"}]))


def test_group_member_must_exist() -> None:
    """A group member that is neither a user nor a group of the scenario is refused."""
    with pytest.raises(ScenarioError, match=r"groups\[0\]\.members\[0\]"):
        load_scenario(tiny(groups=[{"id": "g1", "members": ["ghost"]}]))


def test_missing_file_and_bad_shapes() -> None:
    """Missing files, methods without @odata.type and bad faults are clear errors."""
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(Path("/nonexistent/scenario.json"))
    with pytest.raises(ScenarioError, match=r"@odata\.type"):
        load_scenario(tiny(authenticationMethods={"u1": [{"id": "m"}]}))
    with pytest.raises(ScenarioError, match=r"faults\[0\]"):
        load_scenario(tiny(faults=[{"path": "x", "status": 418}]))
    with pytest.raises(ScenarioError, match="licenses"):
        load_scenario(tiny(licenses=["E5"]))


def test_loading_does_not_mutate_input() -> None:
    """load_scenario works on a copy of the mapping it is given."""
    raw = tiny(signIns=[{"id": "a", "createdDateTime": "-2h"}])
    before = copy.deepcopy(raw)
    load_scenario(raw)
    assert raw == before
