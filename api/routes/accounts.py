"""``/api/v1/accounts``: the declared emergency accounts and each one's state."""

from __future__ import annotations

from fastapi import APIRouter

from breakglass import reviews
from breakglass.config import Account, Settings
from breakglass.overview import AccountHealth, FindingView, account_health, latest_findings

from ..deps import SessionDep, SettingsDep
from ..pagination import PageDep
from ..problems import Problem
from ..schemas import Page
from ..schemas.accounts import (
    AccountDetailOut,
    AccountOut,
    CustodianOut,
    RotationOut,
    ValidationOut,
)
from ..schemas.findings import FindingOut
from ..schemas.signins import SignInOut
from ._common import Viewer

__all__ = ["router"]

router = APIRouter(tags=["accounts"])
_SCOPE = "accounts"


def _out(health: AccountHealth) -> AccountOut:
    return AccountOut(
        id=health.object_id,
        upn=health.upn,
        display_name=health.display_name,
        health=health.state,
        worst_severity=health.worst,
        last_signin_at=health.last_signin_at,
        last_signin_success=health.last_signin_success,
        open_reviews=health.open_reviews,
    )


def finding_out(f: FindingView) -> FindingOut:
    return FindingOut(
        id=f.id,
        check_id=f.check_id,
        title=f.title,
        status=f.status,
        severity=f.severity,
        resource_type=f.resource_type,
        resource_id=f.resource_id,
        resource_name=f.resource_name,
        message=f.message,
        remediation=f.remediation,
    )


def _declared(settings: Settings, account: str) -> Account:
    wanted = account.strip().lower()
    for declared in settings.accounts:
        if wanted in (declared.object_id.lower(), declared.upn.lower()):
            return declared
    raise Problem(404, f"{account!r} is not a declared emergency account", type_="not-found")


@router.get("/accounts", response_model=Page[AccountOut], summary="Emergency accounts")
def list_accounts(
    _: Viewer, session: SessionDep, settings: SettingsDep, page: PageDep
) -> Page[AccountOut]:
    """The declared accounts in configuration order, each with its health in the latest
    check run, its last sign-in and its open reviews."""
    key = page.key(_SCOPE, int)
    start = key[0] + 1 if key else 0
    healths = account_health(session, settings)
    numbered = list(enumerate(healths))[start : start + page.fetch]
    items, cursor = page.page(_SCOPE, numbered, lambda pair: [pair[0]])
    return Page(items=[_out(h) for _, h in items], next=cursor)


@router.get("/accounts/{account}", response_model=AccountDetailOut, summary="One emergency account")
def show_account(
    account: str, _: Viewer, session: SessionDep, settings: SettingsDep
) -> AccountDetailOut:
    """By object id or UPN: the declared account, every finding about it in the latest run,
    its last sign-in, its last validation (BG-009) and its rotation state (BG-008)."""
    declared = _declared(settings, account)
    health = next(a for a in account_health(session, settings) if a.object_id == declared.object_id)
    findings = latest_findings(session, settings, account=declared.object_id)[1]
    by_check = {f.check_id: f for f in findings}
    last = reviews.list_signins(session, settings, account=declared.object_id, limit=1)
    awaiting = reviews.list_reviews(session, settings, state="approved", account=declared.object_id)
    validated, rotated = by_check.get("BG-009"), by_check.get("BG-008")
    return AccountDetailOut(
        **_out(health).model_dump(),
        custodians=[CustodianOut(name=c.name, role=c.role) for c in declared.custodians],
        findings=[finding_out(f) for f in findings],
        last_signin=SignInOut.model_validate(last[0][1]) if last else None,
        validation=ValidationOut(
            last_drill=reviews.drills(session, settings.tenant.id).get(declared.object_id),
            finding_status=validated.status if validated else None,
            message=validated.message if validated else None,
        ),
        rotation=RotationOut(
            finding_status=rotated.status if rotated else None,
            message=rotated.message if rotated else None,
            waiver_until=reviews.rotation_waivers(session, settings.tenant.id).get(
                declared.object_id
            ),
            awaiting_rotation=[r["id"] for r in awaiting],
        ),
    )
