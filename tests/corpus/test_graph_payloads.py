"""Graph payloads mutated from Microsoft's docs examples (issue 11, item 3).

Each resource type the product reads is taken from ../shared/graph-docs-examples
(tests/support/docs_examples.py) and served by the simulator damaged one way at a time:
a property missing, null or of the wrong type, an unknown property, an unknown
``@odata.type`` or enum value, a huge string, a page of thousands of items. ``breakglass
check`` runs against a tenant with a failure planted in every collection (the fault matrix's,
tests/support/faults.py) plus the docs examples, and a watcher poll (``watch --once``) reads
mutated sign-ins and directory audits. The outcome is an ``error`` finding naming the read
or the property, or the right verdict when the change is harmless; never a crash, never a
failure turned into a pass; the report is always written and the exit code is 3/4
(DESIGN §15); a sign-in the watcher cannot read fails the poll (exit 4) and is stored by
the next one, never dropped.
"""

from __future__ import annotations

import copy
import functools
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.cli import run_main
from tests.support.docs_examples import MOCKS, example_values
from tests.support.faults import CONFIG, defective_tenant, finding_key
from tests.support.sim import merge_toml
from tests.support.tenant import BG1, PRA, healthy_tenant

pytestmark = pytest.mark.skipif(
    not MOCKS.exists(), reason="the shared graph-docs-examples folder is absent"
)

Item = dict[str, Any]
Findings = list[dict[str, Any]]
PRA_POLICY = f"DirectoryRole_6babcaad-604b-40ac-a9d7-9fd97c0b779f_{PRA}"
HUGE = "x" * (4 << 20)


@functools.cache
def _examples() -> dict[str, list[Item]]:
    return example_values()


def _docs_tenant() -> tuple[dict[str, Any], dict[str, Item]]:
    """The defective tenant plus the docs examples, and the docs item each mutation edits."""
    values = _examples()
    s = defective_tenant()
    s["authenticationMethods"][BG1] += values["authenticationMethods"]
    s["conditionalAccessPolicies"] += values["conditionalAccessPolicies"]
    s["roleAssignmentScheduleInstances"] += values["roleAssignmentScheduleInstances"]
    s["roleEligibilityScheduleInstances"] += values["roleEligibilityScheduleInstances"]
    # The docs' PIM policy (8 h activation, no approval) becomes Privileged Role Admin's.
    docs_policy = values["roleManagementPolicies"][0]
    pra = next(p for p in s["roleManagementPolicies"] if p["id"] == PRA_POLICY)
    pra["rules"] = copy.deepcopy(docs_policy["rules"])
    targets = {
        "conditionalAccessPolicies": values["conditionalAccessPolicies"][0],
        "authenticationMethods": values["authenticationMethods"][0],  # a FIDO2 key
        "roleAssignmentScheduleInstances": values["roleAssignmentScheduleInstances"][0],
        "roleEligibilityScheduleInstances": values["roleEligibilityScheduleInstances"][0],
        "roleManagementPolicies": pra,
    }
    return s, copy.deepcopy(targets)


def _drop(*path: str) -> Callable[[Item], None]:
    def edit(item: Item) -> None:
        node = item
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1])

    return edit


def _put(value: Any, *path: str) -> Callable[[Item], None]:
    def edit(item: Item) -> None:
        node = item
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = copy.deepcopy(value)

    return edit


def _rule(rule_id: str, edit: Callable[[Item], None]) -> Callable[[Item], None]:
    """Edit one rule of a PIM policy."""

    def apply(policy: Item) -> None:
        edit(next(r for r in policy["rules"] if r["id"] == rule_id))

    return apply


@dataclass(frozen=True)
class Mutation:
    """One damaged docs resource and what the check must make of it.

    ``errors``: words some ``error`` finding must contain (the read or the property);
    ``same``: the change is harmless, every verdict equals the baseline's; ``verdict``:
    further assertions over the findings. Every case also holds the invariants.
    """

    collection: str
    label: str
    edit: Callable[[Item], None]
    errors: str | None = None
    same: bool = False
    verdict: Callable[[Findings], None] | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        return f"{self.collection}-{self.label}"


def _critical_fail(check_id: str, related: str) -> Callable[[Findings], None]:
    def verdict(findings: Findings) -> None:
        hits = [
            f
            for f in findings
            if f["check_id"] == check_id and any(r["id"] == related for r in f["related"] or ())
        ]
        assert len(hits) >= 1, (check_id, related)
        assert all(f["status"] == "fail" and f["severity"] == "critical" for f in hits), hits

    return verdict


def _fails_naming(check_id: str, words: str) -> Callable[[Findings], None]:
    def verdict(findings: Findings) -> None:
        messages = [
            f["message"] for f in findings if f["check_id"] == check_id and f["status"] == "fail"
        ]
        assert any(words in m for m in messages), (check_id, words, messages)

    return verdict


CA = "conditionalAccessPolicies"
METHODS = "authenticationMethods"
ACTIVE = "roleAssignmentScheduleInstances"
ELIGIBLE = "roleEligibilityScheduleInstances"
PIM = "roleManagementPolicies"
CA_READ = "could not read Conditional Access policies"
CA_STATE = "its state is missing or a value breakglass does not"
ACTIVE_READ = "could not read active role assignments"
CA_POLICY = "2b31ac51-b855-40a5-a986-0a4ed23e9008"

MUTATIONS = (
    # Conditional Access policies
    Mutation(CA, "missing-conditions", _drop("conditions"), errors=CA_READ),
    Mutation(CA, "missing-state", _drop("state"), errors=CA_STATE),
    Mutation(CA, "null-conditions", _put(None, "conditions"), errors=CA_READ),
    Mutation(CA, "null-state", _put(None, "state"), errors=CA_STATE),
    Mutation(CA, "state-a-number", _put(5, "state"), errors=CA_STATE),
    Mutation(
        CA, "users-a-string", _put("All", "conditions", "users", "includeUsers"), errors=CA_READ
    ),
    Mutation(CA, "unknown-property", _put({"a": [1]}, "futureSetting"), same=True),
    Mutation(
        CA,
        "unknown-odata-type",
        _put("#microsoft.graph.conditionalAccessPolicyV9", "@odata.type"),
        same=True,
    ),
    Mutation(CA, "unknown-state", _put("enabledForEveryone", "state"), errors=CA_STATE),
    Mutation(
        CA,
        "unknown-grant-control",
        _put(["quantumMfa"], "grantControls", "builtInControls"),
        verdict=_critical_fail("BG-020", CA_POLICY),
    ),
    Mutation(CA, "huge-display-name", _put(HUGE, "displayName"), same=True),
    # authentication methods (the docs' FIDO2 key of bg1)
    Mutation(METHODS, "missing-model", _drop("model"), same=True),
    Mutation(METHODS, "null-created", _put(None, "creationDateTime"), same=True),
    # no FIDO2 key restriction is configured, so the AAGUID decides nothing here
    Mutation(METHODS, "aaguid-a-number", _put(42, "aaGuid"), same=True),
    Mutation(METHODS, "unknown-property", _put(True, "isSyncedFromCloud"), same=True),
    Mutation(
        METHODS,
        "unknown-odata-type",
        _put("#microsoft.graph.quantumKeyAuthenticationMethod", "@odata.type"),
        verdict=_fails_naming("BG-006", "quantumKeyAuthenticationMethod"),
    ),
    Mutation(
        METHODS, "unknown-attestation-level", _put("superAttested", "attestationLevel"), same=True
    ),
    Mutation(METHODS, "huge-display-name", _put(HUGE, "displayName"), same=True),
    # active role assignments (the docs' standing Global Administrator)
    Mutation(ACTIVE, "missing-principal", _drop("principalId"), errors=ACTIVE_READ),
    Mutation(ACTIVE, "missing-role", _drop("roleDefinitionId"), errors=ACTIVE_READ),
    Mutation(ACTIVE, "null-scope", _put(None, "directoryScopeId"), same=True),
    Mutation(ACTIVE, "end-not-a-time", _put("tomorrow", "endDateTime"), errors=ACTIVE_READ),
    Mutation(ACTIVE, "principal-a-number", _put(42, "principalId"), errors=ACTIVE_READ),
    Mutation(ACTIVE, "unknown-property", _put("x", "futureProperty"), same=True),
    Mutation(
        ACTIVE,
        "unknown-odata-type",
        _put("#microsoft.graph.unifiedRoleAssignmentScheduleInstanceV9", "@odata.type"),
        same=True,
    ),
    Mutation(
        ACTIVE,
        "unknown-assignment-type",
        _put("Sometimes", "assignmentType"),
        errors="with an assignmentType that is missing or unknown ('Sometimes')",
    ),
    Mutation(
        ACTIVE,
        "null-assignment-type",
        _put(None, "assignmentType"),
        errors="with an assignmentType that is missing or unknown",
    ),
    Mutation(ACTIVE, "unknown-member-type", _put("Quantum", "memberType"), same=True),
    # eligible role assignments (no verdict depends on them: no crash, nothing flips)
    Mutation(ELIGIBLE, "missing-principal", _drop("principalId")),
    Mutation(ELIGIBLE, "start-not-a-time", _put("soon", "startDateTime")),
    Mutation(ELIGIBLE, "unknown-member-type", _put("Quantum", "memberType"), same=True),
    Mutation(ELIGIBLE, "unknown-property", _put(1, "futureProperty"), same=True),
    # PIM policy of Privileged Role Administrator (the docs' rules)
    # a rule that is absent, null or unreadable counts against the policy (a failure
    # naming what is missing), never for it; a duration that is not one is an error
    Mutation(
        PIM,
        "missing-rules",
        _drop("rules"),
        verdict=_fails_naming("BG-032", "the maximum activation duration is not set"),
    ),
    Mutation(
        PIM,
        "null-enablement",
        _rule("Enablement_EndUser_Assignment", _put(None, "enabledRules")),
        verdict=_fails_naming("BG-032", "activation needs neither MFA"),
    ),
    Mutation(
        PIM,
        "duration-not-iso",
        _rule("Expiration_EndUser_Assignment", _put("eight hours", "maximumDuration")),
        errors=f"PIM policy of role {PRA} in a form breakglass cannot read",
    ),
    Mutation(
        PIM,
        "approval-a-string",
        _rule("Approval_EndUser_Assignment", _put("yes", "setting", "isApprovalRequired")),
        verdict=_fails_naming("BG-032", "activation needs no approval"),
    ),
    Mutation(
        PIM,
        "unknown-rule-type",
        _rule(
            "Approval_EndUser_Assignment",
            _put("#microsoft.graph.unifiedRoleManagementPolicyV9", "@odata.type"),
        ),
        verdict=_fails_naming("BG-032", "activation needs no approval"),
    ),
    Mutation(PIM, "unknown-property", _put(1, "futureProperty"), same=True),
)


@dataclass
class Docs:
    config: Path
    control: httpx.Client
    targets: dict[str, Item]
    baseline: dict[str, Any]


def _check(config: Path, out: Path) -> tuple[int, dict[str, Any] | None, str]:
    result = run_main(
        "check",
        "-c",
        str(config),
        "--format",
        "json",
        "--output",
        str(out),
        "--no-store",
        "--fail-on",
        "critical",
    )
    assert result.escaped is None, repr(result.escaped)
    assert "Traceback" not in result.stderr
    doc = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
    return result.code, doc, result.stderr[-2000:]


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory, simulator_keys: Path) -> Iterator[Docs]:
    """One simulator serving the defective tenant with the docs examples; a clean baseline."""
    from breakglass.simulator import SimulatorServer, load_scenario, write_config

    scenario, targets = _docs_tenant()
    loaded = load_scenario(scenario)
    server = SimulatorServer(loaded, state_dir=simulator_keys)
    server.start()
    folder = tmp_path_factory.mktemp("docs-payloads")
    config = write_config(server, loaded, folder / "breakglass.toml")
    merge_toml(
        config, {**CONFIG, "credential": {"kind": "static_token", "token": server.static_token}}
    )
    control = httpx.Client(base_url=server.control_url, timeout=30)
    try:
        code, baseline, err = _check(config, folder / "baseline.json")
        assert baseline is not None, err
        assert baseline["summary"]["error"] == 0, [
            f["message"] for f in baseline["findings"] if f["status"] == "error"
        ]
        assert code == 3
        yield Docs(config, control, targets, baseline)
    finally:
        control.close()
        server.stop()


def _serve(docs: Docs, collection: str, item: Item) -> None:
    """Serve ``item`` in place of the docs resource of the same id."""
    c = docs.control
    if collection == METHODS:
        methods = [m for m in _methods_of_bg1(docs) if m["id"] != item["id"]] + [item]
        r = c.patch(f"/resources/{METHODS}/{BG1}", json=methods)
    else:
        c.delete(f"/resources/{collection}/{item['id']}")
        r = c.post(f"/resources/{collection}", json=item)
    assert r.status_code < 300, r.text


def _methods_of_bg1(docs: Docs) -> list[Item]:
    scenario, _ = _docs_tenant()
    methods: list[Item] = scenario["authenticationMethods"][BG1]
    return methods


def _assert_no_flip(before: Findings, after: Findings) -> None:
    """Each baseline failure still fails, or is an error, or its check reports an error."""
    now = {finding_key(f): f["status"] for f in after}
    erring = {f["check_id"] for f in after if f["status"] == "error"}
    failed = [f for f in before if f["status"] == "fail"]
    assert len(failed) >= 10
    for finding in failed:
        key = finding_key(finding)
        status = now.get(key)
        if status in ("fail", "error"):
            continue
        assert status is None and key[0] in erring, (
            f"{key[0]} on {finding['resource']['name'] or key[1]} went from fail to "
            f"{status or 'nothing'}: {finding['message']}"
        )


@pytest.mark.parametrize("case", MUTATIONS, ids=[m.id for m in MUTATIONS])
def test_mutated_docs_payload(docs: Docs, case: Mutation, tmp_path: Path) -> None:
    """Damaged docs resource: an error naming it, or the right verdict; never a hidden fail."""
    original = docs.targets[case.collection]
    mutated = copy.deepcopy(original)
    case.edit(mutated)
    _serve(docs, case.collection, mutated)
    try:
        code, doc, err = _check(docs.config, tmp_path / "report.json")
    finally:
        _serve(docs, case.collection, copy.deepcopy(original))
    assert doc is not None, f"no report written (exit {code}): {err}"
    findings = doc["findings"]
    errors = [f["message"] for f in findings if f["status"] == "error"]
    if case.errors:
        assert any(case.errors in m for m in errors), (case.errors, errors)
    if case.same:
        assert {finding_key(f): f["status"] for f in findings} == {
            finding_key(f): f["status"] for f in docs.baseline["findings"]
        }
    if case.verdict:
        case.verdict(findings)
    _assert_no_flip(docs.baseline["findings"], findings)
    critical = any(f["status"] == "fail" and f["severity"] == "critical" for f in findings)
    assert code == (3 if critical else 4 if errors else 0), (code, err)


def test_oversized_pages(docs: Docs, tmp_path: Path) -> None:
    """Thousands of docs-shaped role assignments and CA policies (several pages each) read
    completely: no error, and every planted failure still fails."""
    ca = docs.targets[CA]
    eligible = docs.targets[ELIGIBLE]
    extra_policies = [
        {**copy.deepcopy(ca), "id": str(uuid.uuid4()), "state": "disabled"} for _ in range(1500)
    ]
    extra_eligible = [
        {**copy.deepcopy(eligible), "id": f"bulk-{i}", "principalId": str(uuid.uuid4())}
        for i in range(2500)
    ]
    for collection, rows in ((CA, extra_policies), (ELIGIBLE, extra_eligible)):
        assert docs.control.post(f"/resources/{collection}", json=rows).status_code == 201
    try:
        code, doc, err = _check(docs.config, tmp_path / "report.json")
    finally:
        for collection, rows in ((CA, extra_policies), (ELIGIBLE, extra_eligible)):
            for row in rows:
                docs.control.delete(f"/resources/{collection}/{row['id']}")
    assert doc is not None, err
    assert doc["summary"]["error"] == 0, [
        f["message"] for f in doc["findings"] if f["status"] == "error"
    ]
    _assert_no_flip(docs.baseline["findings"], doc["findings"])
    assert code == 3


# --- the watcher: sign-ins and directory audits ---------------------------------------------


@dataclass
class Watched:
    config: Path
    control: httpx.Client
    store_url: str

    def watch(self) -> tuple[int, str]:
        result = run_main("watch", "--once", "-c", str(self.config))
        assert result.escaped is None, repr(result.escaped)
        assert "Traceback" not in result.stderr
        return result.code, result.stderr

    def stored(self) -> list[str]:
        from breakglass.store.tables import SignInRow
        from tests.support.sim import query

        class _S:
            store_url = self.store_url

        return [row.signin_id for row in query(_S, SignInRow)]


@pytest.fixture
def watched(tmp_path: Path, simulator_keys: Path, _sqlite_template: Path) -> Iterator[Watched]:
    """A healthy tenant, its config with a migrated SQLite store; no sign-ins yet."""
    from breakglass.simulator import SimulatorServer, load_scenario, write_config

    loaded = load_scenario(healthy_tenant())
    server = SimulatorServer(loaded, state_dir=simulator_keys)
    server.start()
    shutil.copyfile(_sqlite_template, tmp_path / "store.db")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    config = write_config(server, loaded, tmp_path / "breakglass.toml")
    merge_toml(
        config,
        {
            **CONFIG,
            "credential": {"kind": "static_token", "token": server.static_token},
            "store": {"url": url},
        },
    )
    control = httpx.Client(base_url=server.control_url, timeout=30)
    try:
        yield Watched(config, control, url)
    finally:
        control.close()
        server.stop()


def _docs_sign_in(**changes: Any) -> Item:
    """The docs' sign-in, made bg1's and an hour old."""
    row = copy.deepcopy(_examples()["signIns"][0])
    row.update(
        id=str(uuid.uuid4()),
        userId=BG1,
        userPrincipalName="bg1@contoso.onmicrosoft.com",
        createdDateTime="-1h",
    )
    row.update(changes)
    return row


#: Sign-in rows that are odd but readable: each is stored and alerted on (a review opens).
READABLE_SIGN_INS: dict[str, dict[str, Any]] = {
    "unknown-property": {"futureSignal": {"a": 1}},
    "unknown-odata-type": {"@odata.type": "#microsoft.graph.signInV9"},
    "unknown-ca-status": {"conditionalAccessStatus": "quantum"},
    "unknown-risk-level": {"riskLevelAggregated": "extreme"},
    "null-status": {"status": None},
    "status-a-string": {"status": "ok"},
    "error-code-a-string": {"status": {"errorCode": "zero", "failureReason": None}},
    "interactive-a-string": {"isInteractive": "yes"},
    "null-location": {"location": None},
    "huge-app-name": {"appDisplayName": HUGE},
}


@pytest.mark.parametrize("label", list(READABLE_SIGN_INS))
def test_odd_sign_in_is_stored_and_alerted(watched: Watched, label: str) -> None:
    """An odd but identifiable sign-in is stored once and opens a review (an alert)."""
    row = _docs_sign_in(**READABLE_SIGN_INS[label])
    assert watched.control.post("/signins", json=[row]).status_code < 300
    code, err = watched.watch()
    assert code == 0, err
    assert watched.stored() == [row["id"]]
    assert "1 new, 1 reviews opened" in err


#: What Graph may serve that makes a sign-in unidentifiable: (``set`` fault, words).
UNREADABLE_SIGN_INS: dict[str, tuple[dict[str, Any], str]] = {
    "null-id": ({"id": None}, "has no id"),
    "id-a-number": ({"id": 7}, "has no id"),
    "time-not-a-time": ({"createdDateTime": "yesterday"}, "has no readable createdDateTime"),
    "null-user": ({"userId": None}, "has no userId"),
}


@pytest.mark.parametrize("label", list(UNREADABLE_SIGN_INS))
def test_unreadable_sign_in_fails_the_poll_and_is_stored_later(
    watched: Watched, label: str
) -> None:
    """A sign-in the watcher cannot identify fails the poll (exit 4, the read named): it is
    not dropped, and the next poll after Graph answers properly stores it."""
    overrides, words = UNREADABLE_SIGN_INS[label]
    row = _docs_sign_in()
    assert watched.control.post("/signins", json=[row]).status_code < 300
    fault = {"path": "auditLogs/signIns", "count": 1000, "set": overrides}
    assert watched.control.post("/faults", json=fault).status_code == 201
    code, err = watched.watch()
    assert code == 4, err
    said = " ".join(err.split())
    assert "sign-in logs (signins)" in said and words in said, said
    assert watched.stored() == []
    watched.control.delete("/faults")
    code, err = watched.watch()
    assert code == 0, err
    assert watched.stored() == [row["id"]]


def test_a_page_of_more_than_a_thousand_sign_ins(watched: Watched) -> None:
    """1,200 docs-shaped sign-ins (two pages) are all stored, once each."""
    rows = [_docs_sign_in(createdDateTime=f"-{i + 1}m") for i in range(1200)]
    assert watched.control.post("/signins", json=rows).status_code < 300
    code, err = watched.watch()
    assert code == 0, err
    assert sorted(watched.stored()) == sorted(r["id"] for r in rows)


#: Directory audits (the evidence of a review) damaged: (edit, evidence items expected).
#: Null initiatedBy and a time that is not one match neither of Graph's filters, so Graph
#: does not return them; the rest are evidence, kept verbatim.
AUDITS: dict[str, tuple[Callable[[Item], None], int]] = {
    "null-initiated-by": (_put(None, "initiatedBy"), 0),
    "time-not-a-time": (_put("yesterday", "activityDateTime"), 0),
    "targets-a-string": (_put("everyone", "targetResources"), 1),
    "unknown-odata-type": (_put("#microsoft.graph.directoryAuditV9", "@odata.type"), 1),
    "huge-activity-name": (_put(HUGE, "activityDisplayName"), 1),
}


@pytest.mark.parametrize("label", list(AUDITS))
def test_damaged_directory_audit_never_loses_the_sign_in(watched: Watched, label: str) -> None:
    """A damaged directory audit by the account: the sign-in is stored and alerted on, the
    review opens, and what Graph returned is its evidence."""
    audit = copy.deepcopy(_examples()["directoryAudits"][0])
    audit.update(id=f"Directory_{uuid.uuid4()}", activityDateTime="-50m")
    audit["initiatedBy"] = {
        "user": {"id": BG1, "userPrincipalName": "bg1@contoso.onmicrosoft.com"},
        "app": None,
    }
    edit, evidence = AUDITS[label]
    edit(audit)
    row = _docs_sign_in()
    assert watched.control.post("/signins", json=[row]).status_code < 300
    assert watched.control.post("/directoryAudits", json=[audit]).status_code < 300
    code, err = watched.watch()
    assert code == 0, err
    assert watched.stored() == [row["id"]]
    assert "1 reviews opened" in err
    listed = run_main("reviews", "list", "--format", "json", "-c", str(watched.config))
    assert [r["evidence_count"] for r in json.loads(listed.stdout)] == [evidence]
