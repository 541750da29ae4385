"""Errors as RFC 9457 problem details (``application/problem+json``).

Routes raise ``Problem`` (or a domain error mapped in ``install``); nothing else reaches a
client, so a stack trace or a secret in an exception message never does. Every problem
has a stable ``type`` URI under ``/problems/`` that documentation can explain.

Domain errors (``breakglass.errors``; their messages are written to be shown and never
carry a secret) map to problems by ``domain_problem``:

==========================  ======  ========================
error                       status  type
==========================  ======  ========================
TwoPersonRuleError          403     two-person-rule
ReviewNotFoundError         404     not-found
RotationNotConfirmedError   409     rotation-not-confirmed
TransitionRefusedError      409     transition-refused
GraphUnavailableError       503     graph-unavailable
GraphError                  502     graph-error
StoreError                  503     store-unavailable
SigningError                503     signing-unavailable
ConfigError                 503     not-configured
==========================  ======  ========================

The OpenAPI document says so: ``document_problems`` gives every ``/api/v1`` operation the
errors any of them can answer (401, 403, 429 and 503 from authentication and the store;
422 for invalid input; 400 for a body that does not parse or a bad ``next`` cursor; 404 when the path names an object),
each as ``application/problem+json`` with the ``Problem`` schema; a route declares its
own further errors with ``responses=problem_responses(409, …)``. A 500 is never
documented: it is a bug.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from breakglass.errors import BreakglassError

__all__ = [
    "PROBLEM_JSON",
    "Problem",
    "ProblemDetails",
    "document_problems",
    "domain_problem",
    "install",
    "problem_response",
    "problem_responses",
]

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    502: "Upstream failed",
    503: "Service unavailable",
}


class Problem(Exception):
    """An error a client should see, with a stable ``type`` slug."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type_: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type_ = type_ or _TITLES.get(status, "error").lower().replace(" ", "-")
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extra = extra or {}


class FieldError(BaseModel):
    loc: list[str] = Field(description="Where: body, query, path or header, then the field.")
    msg: str


class ProblemDetails(BaseModel):
    """An error (RFC 9457 problem details): every error the API answers has this shape."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="A stable URI under /problems/ naming the kind of error.")
    title: str
    status: int
    detail: str = Field(description="What went wrong, for a person; never a secret.")
    instance: str = Field(description="The path of the request that failed.")
    errors: list[FieldError] | None = Field(None, description="422 only: each invalid field.")


_SCHEMA_NAME = "Problem"
_PROBLEM_CONTENT = {PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/{_SCHEMA_NAME}"}}}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status documented as a problem."""
    found: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "description": _TITLES.get(status, "Error"),
            "content": _PROBLEM_CONTENT,
        }
        if status in _HEADERS:
            response["headers"] = _HEADERS[status]
        found[status] = response
    return found


def document_problems(schema: dict[str, Any], prefix: str) -> None:
    """Document the problems every operation under ``prefix`` may answer (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    model = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(model.pop("$defs", {}))
    components[_SCHEMA_NAME] = model
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(prefix):
            continue
        for operation in operations.values():
            statuses = [401, 403, 429, 503]
            parameters = operation.get("parameters", [])
            if parameters or "requestBody" in operation:
                statuses.append(422)
            if any(p["in"] == "path" for p in parameters):
                statuses.append(404)
            if "requestBody" in operation or any(
                p["in"] == "query" and p["name"] == "next" for p in parameters
            ):
                statuses.append(400)  # a body that does not parse; a foreign cursor
            responses = operation.setdefault("responses", {})
            for status, response in problem_responses(*statuses).items():
                # FastAPI's own 422 (HTTPValidationError) is not what install() answers.
                if str(status) not in responses or status == 422:
                    responses[str(status)] = response
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{problem.type_}",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.url.path,
        **problem.extra,
    }
    return JSONResponse(
        body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers
    )


def domain_problem(exc: BreakglassError) -> Problem | None:
    """The problem for a domain error, or None for one that should not happen (a 500)."""
    from breakglass import reviews
    from breakglass.errors import (
        ConfigError,
        GraphError,
        GraphUnavailableError,
        SigningError,
        StoreError,
    )

    table: tuple[tuple[type[BreakglassError], int, str, str], ...] = (
        (reviews.TwoPersonRuleError, 403, "two-person-rule", "Two-person rule"),
        (reviews.ReviewNotFoundError, 404, "not-found", "Not found"),
        (
            reviews.RotationNotConfirmedError,
            409,
            "rotation-not-confirmed",
            "Rotation not confirmed",
        ),
        (reviews.TransitionRefusedError, 409, "transition-refused", "Transition refused"),
        (reviews.ReviewError, 409, "review-refused", "Refused"),
        (GraphUnavailableError, 503, "graph-unavailable", "Microsoft Graph unavailable"),
        (GraphError, 502, "graph-error", "Microsoft Graph failed"),
        (StoreError, 503, "store-unavailable", "Database unavailable"),
        (SigningError, 503, "signing-unavailable", "Signing unavailable"),
        (ConfigError, 503, "not-configured", "Not configured"),
    )
    for kind, status, type_, title in table:
        if isinstance(exc, kind):
            return Problem(status, str(exc), type_=type_, title=title)
    return None


def install(app: FastAPI) -> None:
    """Answer every error with problem+json (HTML pages install their own on top)."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        return problem_response(
            request, Problem(exc.status_code, detail, headers=dict(exc.headers or {}))
        )

    @app.exception_handler(BreakglassError)
    async def _domain(request: Request, exc: BreakglassError) -> JSONResponse:
        problem = domain_problem(exc)
        if problem is None:
            return await _crash(request, exc)
        return problem_response(request, problem)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        where = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors[:5])
        return problem_response(
            request, Problem(422, where or "invalid request", extra={"errors": errors})
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        import structlog

        structlog.get_logger("breakglass.api").error(
            "unhandled error", path=request.url.path, error_type=type(exc).__name__, exc_info=exc
        )
        return problem_response(
            request, Problem(500, "the service failed to answer; the error is in its log")
        )
