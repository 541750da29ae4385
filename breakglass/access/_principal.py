"""The authenticated caller of the service."""

from __future__ import annotations

from dataclasses import dataclass, field

from breakglass.config import AccessRole

__all__ = ["Principal"]


@dataclass(frozen=True)
class Principal:
    """A person (Entra user) or an automation (API token) with its service roles.

    ``id`` is what the two-person rule compares: the Entra object id of a person, or
    ``token:<n>`` for an API token. ``name`` is what people read in records.
    """

    id: str
    name: str
    kind: str  # "user" (Entra token or browser session) | "token" (service API token)
    roles: frozenset[AccessRole] = field(default_factory=frozenset)
    username: str | None = None

    def has(self, role: AccessRole) -> bool:
        """Every principal with any role reads; other rights need their own role."""
        if role is AccessRole.VIEWER:
            return bool(self.roles)
        return role in self.roles

    @property
    def label(self) -> str:
        """How the audit log and the review record name this principal."""
        return self.name
