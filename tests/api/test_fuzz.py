"""schemathesis against the app's own OpenAPI document, as each role (issue 11 item 2).

The app runs in this process against a simulated tenant (as in ``test_matrix``); every
operation of ``/openapi.json`` is called with generated parameters and bodies under each
role's service API token. Each response must:

* not be a 5xx (``not_a_server_error``);
* conform to what the document says: a documented status code, content type, headers
  and body schema — errors included, as ``application/problem+json``;
* not be a 2xx for a role ``test_matrix.ROUTES`` says must be refused (403 instead);

and an unauthenticated call must be refused (``ignored_auth``). Each generated request
is sent once per role (viewer, operator, approver, admin).

Left out, as they judge how strict input parsing is rather than the responses:
``positive_data_acceptance`` ("a schema-valid request is accepted": several inputs are
valid only semantically — an opaque ``next`` cursor the list gave out, the name of a
declared account, a drill that ends after it starts — and random strings get a
documented 400 or 422, the right answer) and ``negative_data_rejection`` ("an invalid
request is refused": Pydantic's lax mode takes ``until=25249999208`` as a Unix time, a
repeated query parameter's last value wins, every multipart field is bytes). The
invalid requests are still sent, and their responses checked like any other.

Bounded for the suite: ``EXAMPLES`` valid and invalid requests per operation (each sent
as the four roles), derandomized (the same requests every run), no shrinking (a failure
prints the request as a curl command; shrinking one with a logged traceback per attempt
took minutes). The four operations that read Microsoft Graph for long or sign
(``POST /runs``, ``POST /runbooks``, review submit and close) get ``HEAVY_EXAMPLES``.

Below the fuzzing: a regression test for each fault it found.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance
from schemathesis.specs.openapi.schemas import OpenApiSchema

from breakglass import audit
from breakglass.signing import PASSPHRASE_ENV, init_keys
from tests.support.api import ROLES, ApiTenant, api_tenant, bearer
from tests.support.matrix import ANY, DRILL, PASSPHRASE, ROUTES, Route

#: More examples or another seed, by hand: BREAKGLASS_FUZZ_EXAMPLES=200 BREAKGLASS_FUZZ_SEED=7
EXAMPLES = int(os.environ.get("BREAKGLASS_FUZZ_EXAMPLES", "8"))
HEAVY_EXAMPLES = 2
SEED = os.environ.get("BREAKGLASS_FUZZ_SEED")
HEAVY = (
    "POST /api/v1/runs",
    "POST /api/v1/runbooks",
    "POST /api/v1/reviews/{review_id}/submit",
    "POST /api/v1/reviews/{review_id}/close",
)

#: Checks about how strict input parsing is, not about responses (see the module text).
LEFT_OUT = [positive_data_acceptance, negative_data_rejection]

_SETTINGS: dict[str, Any] = {
    "deadline": None,
    "derandomize": SEED is None,
    "database": None,
    "suppress_health_check": list(HealthCheck),
    "phases": [Phase.explicit, Phase.generate],
}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, simulator_keys: Path) -> Iterator[ApiTenant]:
    """A healthy tenant with signing keys and a checkpoint (every allowed call can succeed).

    The failed-authentication limit is raised out of reach: ``ignored_auth`` sends bad
    credentials on purpose, and a 429 would then answer every later call of the run.
    """
    with pytest.MonkeyPatch.context() as env:
        env.setenv(PASSPHRASE_ENV, PASSPHRASE)
        with api_tenant(
            tmp_path_factory.mktemp("fuzz"),
            simulator_keys,
            service={"auth_failures_per_minute": 1_000_000},
        ) as tenant:
            init_keys(tenant.settings, PASSPHRASE)
            audit.init_checkpoint_key(tenant.settings)
            with tenant.sim.store.transaction() as session:
                audit.write_checkpoint(session, tenant.settings)
            yield tenant


@pytest.fixture(scope="module")
def api_schema(fuzzed: ApiTenant) -> Iterator[OpenApiSchema]:
    from schemathesis.python.asgi import shutdown_lifespans

    yield schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)
    shutdown_lifespans()  # schemathesis keeps the app's lifespan open until exit otherwise


def _strategy(
    operation: APIOperation[Any, Any, Any, Any], tenant: ApiTenant
) -> st.SearchStrategy[Case[Any]]:
    """Valid requests and, where the operation takes input, invalid ones; never one that
    revokes a token the fuzzing itself calls with (every later call would be a 401)."""
    from breakglass.access import list_tokens

    with tenant.sim.store.session() as session:
        ours = {str(t.id) for t in list_tokens(session, tenant.settings)}
    cases = operation.as_strategy(GenerationMode.POSITIVE)
    if operation.path_parameters or operation.query or operation.body:
        cases = st.one_of(cases, operation.as_strategy(GenerationMode.NEGATIVE))
    return cases.filter(lambda case: _sendable(case, ours))


def _sendable(case: Case[Any], our_tokens: set[str]) -> bool:
    path = case.path_parameters or {}
    return str(path.get("token_id")) not in our_tokens


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_operation_as_every_role(
    route: Route, api_schema: OpenApiSchema, fuzzed: ApiTenant
) -> None:
    """Each generated request, sent once per role, passes every check."""
    operation = api_schema[route.template][route.method]
    heavy = str(route) in HEAVY

    @settings(max_examples=HEAVY_EXAMPLES if heavy else EXAMPLES, **_SETTINGS)
    @seed(int(SEED or 0))
    @given(case=_strategy(operation, fuzzed))
    def fuzz(case: Case[Any]) -> None:
        for role in ROLES:
            response = case.call_and_validate(
                headers=bearer(fuzzed.tokens[role]), excluded_checks=LEFT_OUT
            )
            if route.role not in (ANY, role):
                assert not 200 <= response.status_code < 300, (
                    f"{route} answered {response.status_code} to a {role}; only the "
                    f"{route.role} role may call it"
                )

    fuzz()


# -- what the fuzzing found -------------------------------------------------------------

V = "/api/v1"
TOO_BIG = 2**64  # past SQLite INTEGER and PostgreSQL BIGINT


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("viewer", "GET", f"{V}/reviews/{TOO_BIG}"),
        ("viewer", "GET", f"{V}/reviews/{TOO_BIG}/report.pdf"),
        ("approver", "POST", f"{V}/reviews/{TOO_BIG}/approve"),
        ("viewer", "GET", f"{V}/runbooks/{TOO_BIG}.pdf"),
        ("admin", "POST", f"{V}/notifications/{TOO_BIG}/retry"),
        ("admin", "DELETE", f"{V}/tokens/{TOO_BIG}"),
    ],
)
def test_an_id_past_64_bits_is_invalid_not_a_crash(
    fuzzed: ApiTenant, role: str, method: str, path: str
) -> None:
    """Found as a 500 (OverflowError from the SQLite driver) on POST /notifications/{id}/retry."""
    body = _problem(fuzzed.call(role, method, path), 422)
    assert body["errors"][0]["loc"][0] == "path"


def test_a_run_id_past_64_bits_is_invalid_not_a_crash(fuzzed: ApiTenant) -> None:
    body = _problem(fuzzed.get(f"{V}/runs/{TOO_BIG}", "viewer"), 422)
    assert body["errors"][0]["loc"][0] == "path"


def test_a_forged_cursor_with_a_huge_key_is_refused(fuzzed: ApiTenant) -> None:
    from breakglass_api.pagination import encode

    for path, scope in ((f"{V}/drills", "drills"), (f"{V}/tokens", "tokens")):
        response = fuzzed.get(path, "admin", params={"next": encode(scope, [TOO_BIG])})
        assert _problem(response, 400)["type"] == "/problems/invalid-cursor"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"ends": "2031-01-01T09:00:00Z"}, "must end after it starts"),
        ({"account": "nobody@example.com"}, "not a declared emergency account"),
    ],
)
def test_a_drill_window_that_cannot_be_is_invalid_input(
    fuzzed: ApiTenant, change: dict[str, str], says: str
) -> None:
    """Found as an undocumented 409 ``transition-refused``: the request, not a state, is wrong."""
    body = {**DRILL, **change}
    problem = _problem(fuzzed.post(f"{V}/drills", "operator", json=body), 422)
    assert problem["type"] == "/problems/invalid-drill" and says in problem["detail"]


def test_every_error_is_documented_as_a_problem(fuzzed: ApiTenant) -> None:
    """Each operation documents its errors as ``application/problem+json`` with the Problem
    schema (not FastAPI's HTTPValidationError), including the auth ones."""
    document = fuzzed.get("/openapi.json", None).json()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}
    for path, operations in document["paths"].items():
        if not path.startswith(f"{V}/"):
            continue
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403", "429"} <= set(responses), (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            for status, response in responses.items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]
    submit = document["paths"][f"{V}/reviews/{{review_id}}/submit"]["post"]["responses"]
    assert {"400", "409", "422", "502"} <= set(submit)
