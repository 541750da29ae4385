"""Directory-role lookups shared by the checks: template ids and display names."""

from __future__ import annotations

from breakglass.checks._model import CheckContext
from breakglass.snapshot import RoleInstance

__all__ = ["role_name", "role_template"]


def role_template(ctx: CheckContext, instance: RoleInstance) -> str:
    """The role template id of an assignment (built-in definitions use the template id)."""
    for definition in ctx.snapshot.role_definitions:
        if definition.id == instance.role_definition_id and definition.template_id:
            return definition.template_id
    return instance.role_definition_id


def role_name(ctx: CheckContext, template_id: str) -> str:
    """The display name of a role, from the snapshot or the built-in sensitive-role list."""
    from breakglass.config import SENSITIVE_ROLES

    for definition in ctx.snapshot.role_definitions:
        if template_id in (definition.template_id, definition.id) and definition.display_name:
            return definition.display_name
    return SENSITIVE_ROLES.get(template_id, template_id)
