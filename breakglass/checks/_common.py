"""Helpers shared by the tenant-wide check families."""

from __future__ import annotations

from breakglass.checks._model import CheckContext, Resource
from breakglass.snapshot import CollectionStatus, RoleInstance

__all__ = ["describe_incomplete", "role_name", "role_template", "tenant_resource"]


def tenant_resource(ctx: CheckContext) -> Resource:
    return Resource("tenant", ctx.settings.tenant.id, ctx.settings.tenant.name)


def describe_incomplete(status: CollectionStatus, what: str) -> str:
    reason = f"could not read {what}: {status.reason or 'unknown reason'}"
    if status.permission:
        reason += f" (grant the application permission {status.permission})"
    return reason


def role_template(ctx: CheckContext, instance: RoleInstance) -> str:
    """The role template id of an assignment (built-in definitions use the template id)."""
    for definition in ctx.snapshot.role_definitions:
        if definition.id == instance.role_definition_id and definition.template_id:
            return definition.template_id
    return instance.role_definition_id


def role_name(ctx: CheckContext, template_id: str) -> str:
    from breakglass.config import SENSITIVE_ROLES

    for definition in ctx.snapshot.role_definitions:
        if template_id in (definition.template_id, definition.id) and definition.display_name:
            return definition.display_name
    return SENSITIVE_ROLES.get(template_id, template_id)
