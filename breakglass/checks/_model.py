"""The vocabulary of checks: severities, statuses, resources, findings and check metadata."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from breakglass.checks.stored import StoredFacts
    from breakglass.config import Settings
    from breakglass.snapshot import TenantSnapshot

__all__ = [
    "CheckContext",
    "CheckMeta",
    "Finding",
    "Resource",
    "Severity",
    "Status",
]


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"
    MUTED = "muted"


@dataclass(frozen=True)
class Resource:
    type: str  # user, group, policy, role, tenant, servicePrincipal, …
    id: str
    name: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"type": self.type, "id": self.id, "name": self.name}


@dataclass(frozen=True)
class CheckMeta:
    """A check's description as data: reports, the web UI and runbooks read it."""

    id: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    references: tuple[str, ...] = ()
    #: The Graph application permissions the check's data needs (``breakglass permissions``
    #: lists them with the checks that need them).
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    check_id: str
    status: Status
    severity: Severity
    resource: Resource
    message: str
    remediation: str = ""
    related: tuple[Resource, ...] = ()

    def muted(self, note: str) -> Finding:
        return replace(self, status=Status.MUTED, message=f"{self.message} [muted: {note}]")

    def as_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "status": self.status.value,
            "severity": self.severity.value,
            "resource": self.resource.as_dict(),
            "related": [r.as_dict() for r in self.related],
            "message": self.message,
            "remediation": self.remediation,
        }


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may read. Checks are pure functions of this."""

    settings: Settings
    snapshot: TenantSnapshot
    now: datetime
    #: What the store adds (reviews, watcher health, runbook release, previous run, drills,
    #: waivers); ``None`` when the store was not read in this run (``check --no-store``).
    stored: StoredFacts | None = None
