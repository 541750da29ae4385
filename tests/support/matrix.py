"""The /api/v1 route table: every route, the role that may call it and what an allowed
call answers. The route × role matrix, the fuzzing and the security tests share it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.tenant import BG1

__all__ = ["ANY", "DRILL", "NO", "PASSPHRASE", "ROUTES", "SUBMIT", "Route", "V"]

PASSPHRASE = "correct horse battery staple"
NO = 999_999
ANY = "viewer"  # every role reads

SUBMIT = {
    "operator": "Carol",
    "classification": "emergency",
    "justification": "CA outage",
    "actions": "fixed the policy",
    "root_cause": "a bad policy change",
}
DRILL = {
    "account": "all",
    "starts": "2031-01-01T10:00:00Z",
    "ends": "2031-01-01T11:00:00Z",
    "reason": "quarterly drill",
}


@dataclass(frozen=True)
class Route:
    method: str
    #: The OpenAPI path template this call exercises.
    template: str
    #: The role that may call it (``viewer``: every role).
    role: str
    #: What an allowed call answers.
    allowed: int
    path: str = ""
    kwargs: tuple[tuple[str, Any], ...] = ()

    @property
    def url(self) -> str:
        return self.path or self.template

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


def r(method: str, template: str, role: str, allowed: int, path: str = "", **kw: Any) -> Route:
    return Route(method, template, role, allowed, path, tuple(kw.items()))


V = "/api/v1"
ROUTES = [
    r("GET", f"{V}/status", ANY, 200),
    r("GET", f"{V}/accounts", ANY, 200),
    r("GET", f"{V}/accounts/{{account}}", ANY, 200, f"{V}/accounts/{BG1}"),
    r("GET", f"{V}/findings", ANY, 200),
    r("GET", f"{V}/runs", ANY, 200),
    r("GET", f"{V}/runs/{{run_id}}", ANY, 404, f"{V}/runs/{NO}"),
    r("POST", f"{V}/runs", "operator", 201),
    r("GET", f"{V}/signins", ANY, 200),
    r("GET", f"{V}/reviews", ANY, 200),
    r("GET", f"{V}/reviews/{{review_id}}", ANY, 404, f"{V}/reviews/{NO}"),
    r(
        "POST",
        f"{V}/reviews/{{review_id}}/submit",
        "operator",
        404,
        f"{V}/reviews/{NO}/submit",
        json=SUBMIT,
    ),
    r("POST", f"{V}/reviews/{{review_id}}/approve", "approver", 404, f"{V}/reviews/{NO}/approve"),
    r(
        "POST",
        f"{V}/reviews/{{review_id}}/reopen",
        "approver",
        404,
        f"{V}/reviews/{NO}/reopen",
        json={"comment": "redo"},
    ),
    r("POST", f"{V}/reviews/{{review_id}}/close", "approver", 404, f"{V}/reviews/{NO}/close"),
    r("GET", f"{V}/reviews/{{review_id}}/report.pdf", ANY, 404, f"{V}/reviews/{NO}/report.pdf"),
    r(
        "GET",
        f"{V}/reviews/{{review_id}}/report.manifest.json",
        ANY,
        404,
        f"{V}/reviews/{NO}/report.manifest.json",
    ),
    r("GET", f"{V}/drills", ANY, 200),
    r("POST", f"{V}/drills", "operator", 201, json=DRILL),
    r("GET", f"{V}/runbooks", ANY, 200),
    r("POST", f"{V}/runbooks", "admin", 201),
    r("GET", f"{V}/runbooks/{{release_id}}.pdf", ANY, 404, f"{V}/runbooks/{NO}.pdf"),
    r(
        "GET",
        f"{V}/runbooks/{{release_id}}.manifest.json",
        ANY,
        404,
        f"{V}/runbooks/{NO}.manifest.json",
    ),
    r(
        "POST",
        f"{V}/runbooks/verify",
        ANY,
        200,
        files={"pdf": ("x.pdf", b"not a pdf", "application/pdf")},
    ),
    r("GET", f"{V}/audit", ANY, 200),
    r("GET", f"{V}/audit/verify", ANY, 200),
    r("GET", f"{V}/audit/checkpoints/latest", ANY, 200),
    r("GET", f"{V}/notifications", ANY, 200),
    r(
        "POST",
        f"{V}/notifications/{{outbox_id}}/retry",
        "admin",
        404,
        f"{V}/notifications/{NO}/retry",
    ),
    r("POST", f"{V}/notifications/test", "admin", 409),
    r("GET", f"{V}/tokens", "admin", 200),
    r("POST", f"{V}/tokens", "admin", 201, json={"name": "ci", "role": "viewer"}),
    r("DELETE", f"{V}/tokens/{{token_id}}", "admin", 404, f"{V}/tokens/{NO}"),
]
