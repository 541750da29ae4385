"""Browser session cookie (helper B replaces this module; see PLAN)."""

from __future__ import annotations

from fastapi import Request

from breakglass.access import Principal


def principal_from_cookie(request: Request) -> Principal | None:
    return None
