"""The check catalog: each check registers its metadata next to its function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from breakglass.checks._model import (
    CheckContext,
    CheckMeta,
    Finding,
    Resource,
    Severity,
    Status,
)

__all__ = ["CATALOG", "Check", "CheckFn", "Emit", "register"]


class Emit:
    """Builds findings for one check, with its id, severity and remediation filled in."""

    def __init__(self, meta: CheckMeta) -> None:
        self.meta = meta

    def __call__(
        self,
        status: Status,
        resource: Resource,
        message: str,
        *,
        related: Iterable[Resource] = (),
        severity: Severity | None = None,
    ) -> Finding:
        return Finding(
            check_id=self.meta.id,
            status=status,
            severity=severity or self.meta.severity,
            resource=resource,
            message=message,
            remediation=self.meta.remediation if status in (Status.FAIL, Status.ERROR) else "",
            related=tuple(related),
        )

    def passed(
        self, resource: Resource, message: str, *, related: Iterable[Resource] = ()
    ) -> Finding:
        return self(Status.PASS, resource, message, related=related)

    def failed(
        self,
        resource: Resource,
        message: str,
        *,
        related: Iterable[Resource] = (),
        severity: Severity | None = None,
    ) -> Finding:
        return self(Status.FAIL, resource, message, related=related, severity=severity)

    def error(
        self, resource: Resource, message: str, *, related: Iterable[Resource] = ()
    ) -> Finding:
        return self(Status.ERROR, resource, message, related=related)

    def skipped(
        self, resource: Resource, message: str, *, related: Iterable[Resource] = ()
    ) -> Finding:
        return self(Status.SKIPPED, resource, message, related=related)


CheckFn = Callable[[CheckContext, Emit], Iterable[Finding]]


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    run: CheckFn


#: Every registered check by id, in catalog order.
CATALOG: dict[str, Check] = {}


def register(meta: CheckMeta) -> Callable[[CheckFn], CheckFn]:
    def wrap(fn: CheckFn) -> CheckFn:
        if meta.id in CATALOG:
            raise RuntimeError(f"check {meta.id} registered twice")
        CATALOG[meta.id] = Check(meta, fn)
        return fn

    return wrap
