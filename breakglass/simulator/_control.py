"""The control API under ``/_sim/``: change the running tenant from tests, demos and drills.

``POST /_sim/faults`` / ``DELETE /_sim/faults``  inject or clear faults (see ``_faults``;
    ``probability`` and ``seed`` make a fault apply to a share of the requests)
``POST /_sim/signins`` / ``POST /_sim/directoryAudits``  add log rows; relative timestamps
    allowed; a ``visibleAt`` field hides a row until then (late-arriving logs)
``POST /_sim/events``  ``{"type": "signin", "user": upn-or-id, "success": bool}`` makes a
    realistic sign-in row for that user now and updates its ``signInActivity``
``GET /_sim/stats`` / ``POST /_sim/stats/reset``  request counters, and the injected
    faults that applied by what they did (``{"faults": {"429": 12, "empty_pages": 3}}``)
``POST /_sim/resources/{collection}``, ``PATCH|DELETE /_sim/resources/{collection}/{id}``
    add, merge-patch (RFC 7386) or remove a resource
``POST /_sim/user-token``  ``{"user": oid|user name|name, "audience"?, "version"?: 1|2,
    "lifetime"?: s}`` mints a demo user's access token (default audience: the API)
``POST /_sim/keys/rotate``  sign with a new key from now on (both keys published)
``GET /_sim``  what is running (URLs, tenant, client ids, demo users)

No authentication; the server answers it only to loopback clients.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from breakglass.simulator._dispatch import RequestLog, Response
from breakglass.simulator._faults import FaultBook, parse_fault
from breakglass.simulator._scenario import COLLECTIONS, format_time, resolve_timestamps
from breakglass.simulator._tenant import Tenant

__all__ = ["Control", "ControlError"]

_PORTAL_APP = ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal")
_ARM = ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _as_rows(payload: Any) -> list[dict[str, Any]]:
    rows = payload if isinstance(payload, list) else [payload]
    if not rows or not all(isinstance(row, dict) for row in rows):
        raise ControlError(400, "expected a resource object or a list of them")
    return rows


class Control:
    """Handles ``/_sim/*`` requests."""

    def __init__(
        self,
        tenant: Tenant,
        faults: FaultBook,
        log: RequestLog,
        info: Callable[[], dict[str, Any]],
        entra: Callable[[str, list[str], Any], Response | None] | None = None,
    ) -> None:
        self.tenant = tenant
        self.faults = faults
        self.log = log
        self.info = info
        #: The server's own control routes (Entra side); None when it has no answer.
        self.entra = entra

    def handle(self, method: str, path: str, body: bytes) -> Response:
        try:
            payload = json.loads(body) if body.strip() else None
        except ValueError as exc:
            return Response(400, {"error": f"the body is not JSON: {exc}"})
        parts = [p for p in path.split("?")[0].split("/") if p][1:]  # drop "_sim"
        try:
            return self._route(method, parts, payload)
        except ControlError as exc:
            return Response(exc.status, {"error": str(exc)})

    def _route(self, method: str, parts: list[str], payload: Any) -> Response:
        head = parts[0] if parts else ""
        if not parts and method == "GET":
            return Response(200, self.info())
        if head == "faults" and len(parts) == 1:
            return self._faults(method, payload)
        if head == "signins" and method == "POST":
            return self._add_rows("signIns", "createdDateTime", payload)
        if head == "directoryAudits" and method == "POST":
            return self._add_rows("directoryAudits", "activityDateTime", payload)
        if head == "events" and method == "POST":
            return self._event(payload)
        if head == "stats":
            if len(parts) == 1 and method == "GET":
                return Response(200, self.log.snapshot())
            if parts[1:] == ["reset"] and method == "POST":
                self.log.reset()
                return Response(200, self.log.snapshot())
        if head == "resources" and len(parts) in (2, 3):
            return self._resources(method, parts[1], parts[2] if len(parts) == 3 else None, payload)
        answer = self.entra(method, parts, payload) if self.entra is not None else None
        if answer is not None:
            return answer
        raise ControlError(404, f"no control endpoint {method} /_sim/{'/'.join(parts)}")

    # --- faults -----------------------------------------------------------------------------

    def _faults(self, method: str, payload: Any) -> Response:
        if method == "GET":
            return Response(200, {"faults": self.faults.active()})
        if method == "DELETE":
            self.faults.clear()
            return Response(200, {"faults": []})
        if method != "POST":
            raise ControlError(405, "use GET, POST or DELETE")
        specs = payload if isinstance(payload, list) else [payload]
        parsed = []
        for spec in specs:
            if not isinstance(spec, dict):
                raise ControlError(400, "a fault is a JSON object")
            try:
                parsed.append(parse_fault(spec))
            except ValueError as exc:
                raise ControlError(400, str(exc)) from None
        for fault in parsed:
            self.faults.add(fault)
        return Response(201, {"faults": self.faults.active()})

    # --- log rows ---------------------------------------------------------------------------

    def _add_rows(self, collection: str, time_key: str, payload: Any) -> Response:
        now = self.tenant.clock()
        rows = [resolve_timestamps(row, now) for row in _as_rows(payload)]
        for row in rows:
            row.setdefault("id", str(uuid.uuid4()))
            row.setdefault(time_key, format_time(now))
        try:
            added = self.tenant.add(collection, rows)
        except ValueError as exc:
            raise ControlError(409, str(exc)) from None
        return Response(201, {"added": added})

    def _event(self, payload: Any) -> Response:
        if not isinstance(payload, dict) or payload.get("type") != "signin":
            raise ControlError(
                400, "supported events: {'type': 'signin', 'user': ..., 'success': true|false}"
            )
        with self.tenant.lock:
            user = self.tenant.user(str(payload.get("user", "")))
            if user is None:
                raise ControlError(404, f"no user {payload.get('user')!r} in the scenario")
            now = self.tenant.clock()
            at = resolve_timestamps(payload.get("at", format_time(now)), now)
            success = bool(payload.get("success", True))
            interactive = bool(payload.get("interactive", True))
            row = self._sign_in_row(user, at, success=success, interactive=interactive)
            if "visibleAt" in payload:
                row["visibleAt"] = resolve_timestamps(payload["visibleAt"], now)
            self.tenant.add("signIns", [row])
            activity = user.setdefault("signInActivity", {})
            key = "lastSignInDateTime" if interactive else "lastNonInteractiveSignInDateTime"
            activity[key] = at
            activity[key.replace("DateTime", "RequestId")] = row["id"]
            if success:
                activity["lastSuccessfulSignInDateTime"] = at
                activity["lastSuccessfulSignInRequestId"] = row["id"]
        return Response(201, {"added": [row["id"]], "signIn": row})

    def _sign_in_row(
        self, user: dict[str, Any], at: str, *, success: bool, interactive: bool
    ) -> dict[str, Any]:
        status: dict[str, Any] = {"errorCode": 0, "failureReason": None, "additionalDetails": None}
        if not success:
            status = {
                "errorCode": 50126,
                "failureReason": "Error validating credentials due to invalid username or "
                "password.",
                "additionalDetails": "The user didn't enter the right credentials.",
            }
        return {
            "id": str(uuid.uuid4()),
            "createdDateTime": at,
            "userDisplayName": user.get("displayName"),
            "userPrincipalName": user.get("userPrincipalName"),
            "userId": user["id"],
            "appId": _PORTAL_APP[0],
            "appDisplayName": _PORTAL_APP[1],
            "ipAddress": "203.0.113.24",
            "clientAppUsed": "Browser",
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "correlationId": str(uuid.uuid4()),
            "conditionalAccessStatus": "notApplied",
            "isInteractive": interactive,
            "riskDetail": "none",
            "riskLevelAggregated": "none",
            "riskLevelDuringSignIn": "none",
            "riskState": "none",
            "riskEventTypes": [],
            "riskEventTypes_v2": [],
            "resourceDisplayName": _ARM[1],
            "resourceId": _ARM[0],
            "resourceTenantId": self.tenant.tenant_id,
            "homeTenantId": self.tenant.tenant_id,
            "status": status,
            "deviceDetail": {
                "deviceId": "",
                "displayName": "",
                "operatingSystem": "Windows10",
                "browser": "Edge 131.0.0",
                "isCompliant": False,
                "isManaged": False,
                "trustType": "",
            },
            "location": {
                "city": "Amsterdam",
                "state": "Noord-Holland",
                "countryOrRegion": "NL",
                "geoCoordinates": {"altitude": None, "latitude": 52.37, "longitude": 4.89},
            },
            "appliedConditionalAccessPolicies": [],
            "signInEventTypes": ["interactiveUser" if interactive else "nonInteractiveUser"],
            "authenticationRequirement": "multiFactorAuthentication"
            if success
            else "singleFactorAuthentication",
        }

    # --- resources ---------------------------------------------------------------------------

    def _resources(self, method: str, collection: str, ident: str | None, payload: Any) -> Response:
        if collection == "authenticationMethods":
            return self._methods(method, ident, payload)
        if collection not in COLLECTIONS:
            raise ControlError(404, f"unknown collection {collection!r}")
        now = self.tenant.clock()
        try:
            if method == "POST" and ident is None:
                rows = [resolve_timestamps(row, now) for row in _as_rows(payload)]
                for row in rows:
                    row.setdefault("id", str(uuid.uuid4()))
                return Response(201, {"added": self.tenant.add(collection, rows)})
            if method == "PATCH" and ident is not None:
                if not isinstance(payload, dict):
                    raise ControlError(400, "a merge patch is a JSON object")
                patched = self.tenant.patch(collection, ident, resolve_timestamps(payload, now))
                return Response(200, patched)
            if method == "DELETE" and ident is not None:
                self.tenant.remove(collection, ident)
                return Response(204, None)
        except KeyError:
            raise ControlError(404, f"{collection} has no item {ident!r}") from None
        except ValueError as exc:
            raise ControlError(409, str(exc)) from None
        raise ControlError(405, "use POST /_sim/resources/{collection} or PATCH|DELETE .../{id}")

    def _methods(self, method: str, user_id: str | None, payload: Any) -> Response:
        if user_id is None or method not in ("PATCH", "POST", "DELETE"):
            raise ControlError(
                405,
                "use PATCH (replace), POST (add) or DELETE on "
                "/_sim/resources/authenticationMethods/{userId}",
            )
        with self.tenant.lock:
            methods = self.tenant.authentication_methods.setdefault(user_id, [])
            if method == "DELETE":
                methods.clear()
                return Response(204, None)
            rows = _as_rows(payload)
            for row in rows:
                if not str(row.get("@odata.type", "")).startswith("#microsoft.graph."):
                    raise ControlError(400, "each method needs '@odata.type'")
                row.setdefault("id", str(uuid.uuid4()))
            if method == "PATCH":
                methods.clear()
            methods.extend(resolve_timestamps(rows, self.tenant.clock()))
            return Response(200, {"value": methods})
