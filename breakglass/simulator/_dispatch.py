"""The Graph front door: authentication, faults, routing, query checks, ``$batch``.

``GraphFront.handle`` takes one HTTP request under ``/v1.0`` or ``/beta`` and returns the
status, headers and JSON body Graph would. Requests inside a ``$batch`` go through the same
``dispatch`` (permissions, licences, faults and errors apply per request).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from breakglass.simulator._faults import Fault, FaultBook
from breakglass.simulator._odata import (
    GraphErrorResponse,
    QueryOptions,
    bad_request,
    parse_filter,
    parse_query,
)
from breakglass.simulator._paging import Pager
from breakglass.simulator._routes import (
    LICENSE_ERRORS,
    ROUTES,
    Call,
    Route,
    check_expand,
    check_filter,
    denied,
)
from breakglass.simulator._tenant import Tenant
from breakglass.simulator._tokens import TokenService

__all__ = ["GraphFront", "RequestLog", "Response"]

VERSIONS = ("v1.0", "beta")
MAX_BATCH = 20
JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;charset=utf-8"
_FAULT_ERRORS = {
    401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
    403: ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
    429: ("TooManyRequests", "Please retry again later."),
    500: ("InternalServerError", "An internal server error occurred."),
    502: ("BadGateway", "Bad gateway."),
    503: ("ServiceNotAvailable", "The service is temporarily unavailable. Please retry later."),
    504: ("GatewayTimeout", "The gateway did not receive a response in time."),
}
_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>The service is temporarily unavailable.</h1></body></html>"
)


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    #: Bytes to send instead of ``body`` as JSON (a damaged body injected as a fault).
    raw: bytes | None = None


def _with_overrides(page: Any, overrides: dict[str, Any]) -> Any:
    """``page`` with ``overrides`` merged into the resource, or into each item of a page."""
    if not overrides or not isinstance(page, dict):
        return page
    if isinstance(page.get("value"), list):
        items = [{**i, **overrides} if isinstance(i, dict) else i for i in page["value"]]
        return {**page, "value": items}
    return {**page, **overrides}


def _damaged(page: Any, body: str) -> Response:
    """A 200 answer whose body is damaged the way ``body`` names (see ``_faults``)."""
    text = json.dumps(page).encode("utf-8")
    if body == "truncated":
        return Response(200, None, raw=text[: max(1, len(text) // 2)])
    if body == "empty":
        return Response(200, None, raw=b"")
    if body == "html":
        return Response(200, None, {"Content-Type": "text/html; charset=utf-8"}, raw=_HTML_PAGE)
    if body == "null":
        return Response(200, None, raw=b"null")
    if body == "empty_object":
        return Response(200, {})
    page = page if isinstance(page, dict) else {}
    if body == "no_value":
        return Response(200, {k: v for k, v in page.items() if k != "value"})
    # id_only: each resource reduced to its id
    if isinstance(page.get("value"), list):
        items = [{"id": i.get("id")} if isinstance(i, dict) else i for i in page["value"]]
        return Response(200, {**page, "value": items})
    return Response(200, {"id": page.get("id")})


class RequestLog:
    """What was served: ``(method, path_with_query, status)`` per HTTP request, plus
    per-route counts that include requests made inside ``$batch``, and the injected faults
    that applied, by what they did (``429``, ``503``, ``empty_pages``, ``delay``, …)."""

    def __init__(self, keep: int = 100_000) -> None:
        self._lock = threading.Lock()
        self.entries: deque[tuple[str, str, int]] = deque(maxlen=keep)
        self.total = 0
        self.by_route: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()

    def record(self, method: str, target: str, status: int) -> None:
        with self._lock:
            self.entries.append((method, target, status))
            self.total += 1

    def served(self) -> list[tuple[str, str, int]]:
        with self._lock:
            return list(self.entries)

    def count_route(self, key: str) -> None:
        with self._lock:
            self.by_route[key] += 1

    def count_fault(self, fault: Fault) -> None:
        """Count one application of ``fault`` under each thing it did."""
        kinds = [str(fault.status)] if fault.status is not None else []
        kinds += [
            name
            for name, on in (
                ("delay", bool(fault.delay)),
                ("empty_pages", fault.empty_pages),
                ("next_link", fault.next_link is not None),
                ("body", fault.body is not None),
                ("set", bool(fault.set)),
            )
            if on
        ]
        with self._lock:
            self.faults.update(kinds)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.total,
                "by_route": dict(self.by_route),
                "faults": dict(self.faults),
            }

    def reset(self) -> None:
        with self._lock:
            self.entries.clear()
            self.total = 0
            self.by_route.clear()
            self.faults.clear()


def error_body(
    error: GraphErrorResponse, request_id: str, client_request_id: str
) -> dict[str, Any]:
    return {
        "error": {
            "code": error.code,
            "message": error.message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id,
            },
        }
    }


class _Node:
    """A trie of route segments; ``{id}`` matches any one segment."""

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.param: tuple[str, _Node] | None = None
        self.routes: dict[str, Route] = {}


def _build_trie(version: str) -> _Node:
    root = _Node()
    for route in ROUTES:
        if version not in route.versions:
            continue
        node = root
        for segment in route.segments:
            if segment.startswith("{"):
                if node.param is None:
                    node.param = (segment.strip("{}"), _Node())
                node = node.param[1]
            else:
                node = node.children.setdefault(segment.lower(), _Node())
        node.routes[route.method] = route
    return root


class GraphFront:
    """Answers Graph requests for one tenant."""

    def __init__(
        self,
        tenant: Tenant,
        tokens: TokenService,
        faults: FaultBook,
        log: RequestLog,
        pager: Pager | None = None,
    ) -> None:
        self.tenant = tenant
        self.tokens = tokens
        self.faults = faults
        self.log = log
        self.pager = pager or Pager()
        self._tries = {version: _build_trie(version) for version in VERSIONS}

    # --- routing -------------------------------------------------------------------------

    def _match(self, version: str, path: str, method: str) -> tuple[Route, dict[str, str]]:
        node = self._tries[version]
        params: dict[str, str] = {}
        segments = path[1:].split("/")  # path starts with "/"; "//x" keeps an empty segment
        if len(segments) > 1 and segments[-1] == "":
            segments.pop()  # Graph tolerates one trailing slash
        for segment in segments:
            decoded = unquote(segment)
            child = node.children.get(decoded.lower())
            if child is not None:
                node = child
            elif node.param is not None and decoded:
                params[node.param[0]] = decoded
                node = node.param[1]
            else:
                raise bad_request(f"Resource not found for the segment '{decoded}'.")
        if not node.routes:
            raise bad_request(f"Resource not found for the segment '{unquote(segments[-1])}'.")
        route = node.routes.get(method)
        if route is None:
            raise GraphErrorResponse(
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            )
        return route, params

    # --- one request ----------------------------------------------------------------------

    def _fault(self, fault: Fault) -> GraphErrorResponse | None:
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is None:
            return None
        code, message = _FAULT_ERRORS[fault.status]
        headers = {}
        if fault.retry_after is not None:
            value = fault.retry_after
            headers["Retry-After"] = str(int(value)) if float(value).is_integer() else str(value)
        return GraphErrorResponse(fault.status, code, message, headers)

    def dispatch(
        self,
        method: str,
        version: str,
        path: str,
        query: str,
        claims: dict[str, Any],
        graph_base: str,
    ) -> Response:
        """Answer one Graph request (``path`` after the version, e.g. ``/users/x``)."""
        target = f"/{version}{path}" + (f"?{unquote(query)}" if query else "")
        empty_first = False
        next_link: str | None = None
        fault = self.faults.take(target)
        if fault is not None:
            self.log.count_fault(fault)
            injected = self._fault(fault)
            if injected is not None:
                raise injected
            empty_first = fault.empty_pages
            next_link = fault.next_link
        route, params = self._match(version, path, method)
        self.log.count_route(f"{method} /{version}{route.template}")
        roles = frozenset(claims.get("roles") or ())
        if route.permissions and not roles.intersection(route.permissions):
            raise denied()
        if route.license and route.license not in self.tenant.licenses:
            raise LICENSE_ERRORS[route.license]()
        options = parse_query(query)
        self._check_options(route, options)
        node = parse_filter(options.filter) if options.filter is not None else None
        check_filter(route, node)
        check_expand(route, options.expand)
        call = Call(
            tenant=self.tenant,
            route=route,
            version=version,
            params=params,
            query=options,
            filter=node,
            roles=roles,
            graph_base=graph_base,
            path=f"/{version}{path}",
            pager=self.pager,
            empty_first=empty_first,
        )
        if options.skiptoken is not None:
            page = self.pager.resume(options.skiptoken, call.path, empty_first=empty_first)
            if page is None:
                raise bad_request(
                    "The skip token is invalid or has expired; start the listing again.",
                )
        else:
            with self.tenant.lock:
                page = route.handler(call)
        if next_link is not None and isinstance(page, dict):
            page = {**page, "@odata.nextLink": next_link}  # a crafted link (fault injection)
        if fault is not None:
            page = _with_overrides(page, fault.set)
            if fault.body is not None:
                return _damaged(page, fault.body)
        return Response(200, page)

    def _check_options(self, route: Route, options: QueryOptions) -> None:
        if not route.query_options and any(k.startswith("$") for k, _ in options.raw):
            raise bad_request(
                "This API does not support OData query parameters "
                f"({', '.join(k for k, _ in options.raw if k.startswith('$'))})."
            )
        if options.skiptoken is not None and not route.paged:
            raise bad_request("Query option '$skiptoken' is not supported by this resource.")
        if options.top is not None:
            if route.entity:
                raise bad_request("Query option '$top' is not allowed on a single entity.")
            if options.top < 1 or options.top > route.max_top:
                raise bad_request(
                    f"Invalid page size specified: '{options.top}'. Must be between 1 and "
                    f"{route.max_top} inclusive.",
                    code="Request_UnsupportedQuery",
                )
        if route.entity and options.filter is not None:
            raise bad_request("Query option '$filter' is not allowed on a single entity.")

    # --- HTTP entry ------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        raw_path: str,
        headers: dict[str, str],
        body: bytes,
        graph_base: str,
    ) -> Response:
        request_id = str(uuid.uuid4())
        client_request_id = headers.get("client-request-id") or request_id
        ids = {"request-id": request_id, "client-request-id": client_request_id}
        split = urlsplit(raw_path)
        try:
            claims = self.tokens.verify(headers.get("authorization"))
            version, _, rest = split.path.lstrip("/").partition("/")
            if version not in VERSIONS:
                raise bad_request(f"Invalid version: {version}")
            path = "/" + rest
            if method == "POST" and rest.strip("/").lower() == "$batch":
                self.log.count_route(f"POST /{version}/$batch")
                fault = self.faults.take(f"/{version}/$batch")
                if fault is not None:
                    self.log.count_fault(fault)
                injected = self._fault(fault) if fault is not None else None
                if injected is not None:
                    raise injected
                response = self._batch(version, body, claims, graph_base)
                if fault is not None and fault.body is not None:
                    response = _damaged(response.body, fault.body)
            else:
                response = self.dispatch(method, version, path, split.query, claims, graph_base)
        except GraphErrorResponse as error:
            response = Response(
                error.status, error_body(error, request_id, client_request_id), error.headers
            )
        response.headers.update(ids)
        return response

    # --- $batch ----------------------------------------------------------------------------

    def _batch(
        self, version: str, body: bytes, claims: dict[str, Any], graph_base: str
    ) -> Response:
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            raise bad_request("Invalid batch payload format: the body is not JSON.") from None
        requests = payload.get("requests") if isinstance(payload, dict) else None
        if not isinstance(requests, list) or not requests:
            raise bad_request("Invalid batch payload format: 'requests' must be a non-empty list.")
        if len(requests) > MAX_BATCH:
            raise bad_request(
                f"The batch holds {len(requests)} requests; the maximum is {MAX_BATCH}."
            )
        ids = [item.get("id") if isinstance(item, dict) else None for item in requests]
        if any(not isinstance(i, str) or not i for i in ids):
            raise bad_request("Invalid batch payload format: every request needs an 'id'.")
        if len(set(ids)) != len(ids):
            raise bad_request("Batch request ids must be unique.")
        responses = [self._batch_item(version, item, claims, graph_base) for item in requests]
        return Response(200, {"responses": responses})

    def _batch_item(
        self, version: str, item: dict[str, Any], claims: dict[str, Any], graph_base: str
    ) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        method = str(item.get("method", "")).upper()
        url = str(item.get("url", ""))
        try:
            if method not in ("GET", "POST", "PATCH", "PUT", "DELETE"):
                raise bad_request(f"Invalid method '{item.get('method')}' in batch request.")
            item_version, path, query = self._batch_url(version, url, graph_base)
            if path.strip("/").lower() == "$batch":
                raise bad_request("A batch cannot contain another batch.")
            result = self.dispatch(method, item_version, path, query, claims, graph_base)
        except GraphErrorResponse as error:
            result = Response(
                error.status, error_body(error, request_id, request_id), error.headers
            )
        headers = {"Content-Type": JSON_TYPE, **result.headers}
        body = result.body
        if result.raw is not None:  # a damaged body (fault): its text, or null when empty
            text = result.raw.decode("utf-8", "replace")
            body = None if text in ("", "null") else text
        return {"id": item["id"], "status": result.status, "headers": headers, "body": body}

    @staticmethod
    def _batch_url(version: str, url: str, graph_base: str) -> tuple[str, str, str]:
        """Accept Graph's batch URL forms: ``/users/x``, ``users/x``, ``/v1.0/users/x`` and
        the absolute URL msgraph-core sends (on this simulator's own base)."""
        if url.lower().startswith(("http://", "https://")):
            if not url.startswith(graph_base + "/"):
                raise bad_request(f"The batch request URL '{url}' is not on this service.")
            url = url[len(graph_base) :]
        split = urlsplit(url if url.startswith("/") else "/" + url)
        path = split.path
        first, _, rest = path.lstrip("/").partition("/")
        if first in VERSIONS:
            return first, "/" + rest, split.query
        return version, path, split.query
