"""The resources findings name: the tenant, a declared account."""

from __future__ import annotations

from breakglass.checks._model import CheckContext, Resource
from breakglass.config import Account
from breakglass.snapshot import AccountData

__all__ = ["account_resource", "tenant_resource"]


def tenant_resource(ctx: CheckContext) -> Resource:
    return Resource("tenant", ctx.settings.tenant.id, ctx.settings.tenant.name)


def account_resource(declared: Account, data: AccountData | None = None) -> Resource:
    """A declared account, named by the UPN Graph returned (else the declared one)."""
    upn = data.user.user_principal_name if data and data.user else None
    return Resource("user", declared.object_id, upn or declared.upn)
