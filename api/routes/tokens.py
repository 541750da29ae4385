"""``/api/v1/tokens``: service API tokens (admin). The token is in the creating answer only."""

from __future__ import annotations

from fastapi import APIRouter, Response

from breakglass._time import utcnow
from breakglass.access import TokenInfo, create_token, list_tokens, revoke_token

from ..deps import SessionDep, SettingsDep, StoreDep
from ..pagination import PageDep
from ..problems import Problem
from ..schemas import Page
from ..schemas.tokens import TokenCreatedOut, TokenIn, TokenOut
from ._common import Admin, Id

__all__ = ["router"]

router = APIRouter(tags=["tokens"])
_SCOPE = "tokens"


def _out(info: TokenInfo) -> TokenOut:
    return TokenOut(
        id=info.id,
        name=info.name,
        role=info.role,
        prefix=info.prefix,
        state=info.state(utcnow()),
        created_at=info.created_at,
        created_by=info.created_by,
        expires_at=info.expires_at,
        revoked_at=info.revoked_at,
        last_used_at=info.last_used_at,
    )


@router.get("/tokens", response_model=Page[TokenOut], summary="API tokens (admin)")
def tokens(_: Admin, session: SessionDep, settings: SettingsDep, page: PageDep) -> Page[TokenOut]:
    """Every token, oldest first, never the token itself."""
    key = page.key(_SCOPE, int)
    after = key[0] if key else 0
    found = [t for t in list_tokens(session, settings) if t.id > after][: page.fetch]
    items, cursor = page.page(_SCOPE, found, lambda t: [t.id])
    return Page(items=[_out(t) for t in items], next=cursor)


@router.post(
    "/tokens", response_model=TokenCreatedOut, status_code=201, summary="Create a token (admin)"
)
def create(
    body: TokenIn, principal: Admin, store: StoreDep, settings: SettingsDep
) -> TokenCreatedOut:
    """The answer carries the token once; only its SHA-256 is stored."""
    try:
        with store.transaction() as session:
            info, token = create_token(
                session,
                settings,
                name=body.name,
                role=body.role,
                created_by=principal.name,
                now=utcnow(),
                expires_days=body.expires_days,
            )
    except ValueError as exc:
        raise Problem(422, str(exc)) from None
    return TokenCreatedOut(**_out(info).model_dump(), token=token)


@router.delete(
    "/tokens/{token_id}", status_code=204, response_class=Response, summary="Revoke a token (admin)"
)
def revoke(token_id: Id, principal: Admin, store: StoreDep, settings: SettingsDep) -> Response:
    try:
        with store.transaction() as session:
            revoke_token(session, settings, token_id, revoked_by=principal.name, now=utcnow())
    except LookupError as exc:
        raise Problem(404, str(exc).strip("'\""), type_="not-found") from None
    return Response(status_code=204)
