"""Entra ID access tokens for the API (helper B replaces this module; see PLAN)."""

from __future__ import annotations

from fastapi import Request

from breakglass.access import Principal

from ..problems import Problem


def principal_from_entra_token(request: Request, token: str) -> Principal:
    raise Problem(401, "Entra bearer tokens are not accepted yet", type_="unauthorized")
