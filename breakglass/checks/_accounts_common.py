"""Shared reading of a declared account's data for the account checks (BG-001 … BG-011)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from breakglass.checks._common import describe_incomplete
from breakglass.checks._model import CheckContext, Finding, Resource
from breakglass.checks._registry import Emit
from breakglass.config import Account
from breakglass.snapshot import AccountData, UserInfo

__all__ = ["AccountView", "account_resource", "each_account"]

_WHAT = {
    "user": "the user object",
    "signInActivity": "the sign-in activity",
    "methods": "the authentication methods",
    "memberOf": "the group memberships",
}


def account_resource(declared: Account, data: AccountData | None = None) -> Resource:
    upn = data.user.user_principal_name if data and data.user else None
    return Resource("user", declared.object_id, upn or declared.upn)


@dataclass(frozen=True)
class AccountView:
    declared: Account
    data: AccountData
    user: UserInfo
    resource: Resource


def each_account(ctx: CheckContext, emit: Emit, *needs: str) -> Iterator[AccountView | Finding]:
    """Per declared account: a view when ``needs`` were read, else the error/skip finding.

    ``needs`` are per-account collections (``signInActivity``, ``methods``, ``memberOf``);
    the user object is always needed. A missing account makes the other checks ``skipped``
    (BG-001 reports it), a failed read makes them ``error`` — never ``pass``.
    """
    for declared in ctx.settings.accounts:
        oid = declared.object_id
        data = ctx.snapshot.accounts.get(oid)
        resource = account_resource(declared, data)
        status = ctx.snapshot.status_of(f"user:{oid}")
        if data is None or not status.complete:
            yield emit.error(
                resource, f"{declared.upn}: {describe_incomplete(status, _WHAT['user'])}"
            )
            continue
        if data.user is None:
            yield emit.skipped(
                resource, f"{declared.upn} does not exist in the tenant (see BG-001)"
            )
            continue
        missing = [n for n in needs if not ctx.snapshot.status_of(f"{n}:{oid}").complete]
        if missing:
            first = ctx.snapshot.status_of(f"{missing[0]}:{oid}")
            if first.kind == "skipped":
                yield emit.skipped(resource, f"{declared.upn}: {first.reason}")
            else:
                yield emit.error(
                    resource, f"{declared.upn}: {describe_incomplete(first, _WHAT[missing[0]])}"
                )
            continue
        yield AccountView(declared, data, data.user, resource)
