"""Checks of one declared account at a time: the prelude every account check shares.

``@per_account("methods")`` turns a function of one *readable, existing* account into a
check over every declared account. The prelude is decided here, once:

- the user object (or a collection named in ``needs``) could not be read → ``error`` naming
  the reason and the missing permission;
- the collection is not licensed → ``skipped`` with the reason;
- the account does not exist → ``skipped`` ("account not found, see BG-001"; BG-001 fails);
- a user property the check ``reads`` was missing, ``null`` against Graph's schema or of
  the wrong type (``UserInfo.unreadable``) → ``error`` naming the property.

Never ``pass`` on data that was not read.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from breakglass.checks._model import CheckContext, Finding, Resource
from breakglass.checks._reasons import NOT_FOUND, describe_incomplete
from breakglass.checks._registry import CheckFn, Emit
from breakglass.checks._resources import account_resource
from breakglass.config import Account
from breakglass.snapshot import AccountData, UserInfo

__all__ = [
    "AccountCheckFn",
    "AccountView",
    "account_views",
    "per_account",
    "unreadable_properties",
]

#: The per-account collections a check may need, and how a reason names them.
_WHAT = {
    "user": "the user object",
    "signInActivity": "the sign-in activity",
    "methods": "the authentication methods",
    "memberOf": "the group memberships",
}


@dataclass(frozen=True)
class AccountView:
    """A declared account that exists and whose needed collections were read."""

    declared: Account
    data: AccountData
    user: UserInfo
    resource: Resource

    @property
    def upn(self) -> str:
        """The declared UPN (what the operator wrote in the inventory)."""
        return self.declared.upn


AccountCheckFn = Callable[[CheckContext, Emit, AccountView], Iterable[Finding]]


def account_views(
    ctx: CheckContext, emit: Emit, *needs: str, reads: tuple[str, ...] = ()
) -> Iterator[AccountView | Finding]:
    """Per declared account: a view when it exists and ``needs`` were read, else the finding.

    ``needs`` are per-account collections (``signInActivity``, ``methods``, ``memberOf``);
    the user object is always needed. ``reads`` are the user properties (Graph names, e.g.
    ``onPremisesSyncEnabled``) the check decides on: an unreadable one is an ``error``.
    """
    unknown = [n for n in needs if n not in _WHAT]
    if unknown:
        raise ValueError(f"unknown per-account collections {unknown}")
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
            yield emit.skipped(resource, f"{declared.upn}: {NOT_FOUND}")
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
        unreadable = [p for p in reads if p in data.user.unreadable]
        if unreadable:
            why = unreadable_properties(data.user, unreadable, declared.upn)
            yield emit.error(resource, f"{declared.upn}: {why}")
            continue
        yield AccountView(declared, data, data.user, resource)


def unreadable_properties(user: UserInfo, names: Iterable[str], who: str) -> str:
    """``could not read property accountEnabled of user <who>: <why>; …``."""
    return "; ".join(
        f"could not read property {name} of user {who}: {user.unreadable[name]}" for name in names
    )


def per_account(*needs: str, reads: tuple[str, ...] = ()) -> Callable[[AccountCheckFn], CheckFn]:
    """Make a check of every declared account from a function of one readable account.

    ``needs``: per-account collections; ``reads``: user properties (see ``account_views``).
    """

    def wrap(fn: AccountCheckFn) -> CheckFn:
        @functools.wraps(fn)
        def run(ctx: CheckContext, emit: Emit) -> Iterator[Finding]:
            for view in account_views(ctx, emit, *needs, reads=reads):
                if isinstance(view, Finding):
                    yield view
                else:
                    yield from fn(ctx, emit, view)

        return run

    return wrap
