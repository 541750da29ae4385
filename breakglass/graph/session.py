"""One Graph session: the SDK client, one paging helper, ``$batch`` and bounded concurrency.

Every read goes through ``GraphSession`` so that paging (follow ``@odata.nextLink`` until
absent, empty pages included), error mapping and the concurrency bound live in one place.
URLs are composed here. The collectors read raw JSON (``get_raw``, ``get_all_raw``,
``$batch``) through the SDK's request adapter (authentication, retry, error mapping) and
convert it themselves (``_convert``): the SDK's typed models import about 1,300 modules on
first use. The typed path (``get_all`` with a ``with_url`` builder) remains for callers
that want models.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import structlog

from breakglass.config import Settings
from breakglass.errors import GraphError, GraphPayloadError
from breakglass.graph._clouds import endpoints_for
from breakglass.graph._credentials import build_credential
from breakglass.graph._errors import error_from_status, map_exception

__all__ = ["BatchItem", "GraphSession", "odata_url"]

log = structlog.get_logger(__name__)

#: Graph allows at most 20 requests in one JSON batch.
BATCH_LIMIT = 20


def odata_url(path: str, params: dict[str, str] | None = None) -> str:
    """``path`` with OData query options encoded the way the SDK encodes them."""
    if not params:
        return path
    query = "&".join(f"{k}={quote(v, safe=',/')}" for k, v in params.items())
    return f"{path}?{query}"


@dataclass(frozen=True)
class BatchItem:
    """One GET inside a ``$batch``: a relative URL and how to parse its body."""

    key: str
    url: str  # relative, e.g. /users/{id}?$select=...
    #: A kiota ParsableFactory (an SDK model class), or None for the raw JSON dict (what
    #: the collectors use: typed parsing costs ~10 ms per user object, and its imports).
    parse: Any
    what: str
    permission: str | None


class GraphSession:
    """A Graph client bound to one tenant and one event loop."""

    def __init__(self, settings: Settings, *, credential: Any | None = None) -> None:
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )
        from msgraph.graph_request_adapter import GraphRequestAdapter
        from msgraph.graph_service_client import GraphServiceClient

        cloud = endpoints_for(settings.tenant.cloud)
        self.root = settings.tenant.graph_url or cloud.graph
        self.host = urlsplit(self.root).hostname or ""
        self.credential = credential if credential is not None else build_credential(settings)
        auth = AzureIdentityAuthenticationProvider(
            self.credential, scopes=[cloud.scope], allowed_hosts=[self.host]
        )
        self._http = self._http_client(settings)
        self.adapter = GraphRequestAdapter(auth, client=self._http)
        self.adapter.base_url = f"{self.root}/v1.0"  # no trailing slash (DESIGN §5)
        self.client = GraphServiceClient(request_adapter=self.adapter)
        self.page_size = settings.graph.page_size
        self._limit = asyncio.Semaphore(settings.graph.concurrency)
        self.requests_made = 0

    async def aclose(self) -> None:
        """Close the HTTP connections (one session per event loop).

        msgraph-core's AsyncGraphTransport has no ``aclose()``, so closing the httpx client
        leaves the wrapped transport's sockets open: close that one as well.
        """
        inner = getattr(self._http._transport, "transport", None)
        await self._http.aclose()
        if inner is not None:
            await inner.aclose()

    @staticmethod
    def _http_client(settings: Settings) -> Any:
        import ssl

        import httpx
        from msgraph import graph_request_adapter
        from msgraph_core import GraphClientFactory

        verify: Any = True
        if settings.credential.ca_bundle:
            verify = ssl.create_default_context(
                cafile=str(settings.resolve(settings.credential.ca_bundle))
            )
        http = httpx.AsyncClient(
            timeout=settings.graph.timeout_seconds,
            verify=verify,
            event_hooks={"response": [_count_response]},
        )
        return GraphClientFactory.create_with_default_middleware(
            client=http, options=graph_request_adapter.options
        )

    def url(self, path: str, params: dict[str, str] | None = None, version: str = "v1.0") -> str:
        return f"{self.root}/{version}{odata_url(path, params)}"

    async def call(
        self, make: Callable[[], Awaitable[Any]], *, what: str, permission: str | None
    ) -> Any:
        """Run one SDK request under the concurrency bound, mapping its errors."""
        async with self._limit:
            self.requests_made += 1
            try:
                return await make()
            except Exception as exc:  # Graph failures become typed errors, never swallowed
                mapped = map_exception(exc, what=what, permission=permission)
                if mapped is None:
                    raise  # a bug of ours: it keeps its name (never "Graph sent bad data")
                raise mapped from exc

    def _check_next_link(self, link: str, what: str) -> None:
        # Tokens go only to the Graph host (allowed_hosts), but a nextLink elsewhere would
        # silently lose its Authorization header and read as an empty tenant: refuse it.
        if urlsplit(link).hostname != self.host:
            raise GraphPayloadError(
                f"Graph returned a nextLink to another host while reading {what}", what=what
            )

    async def get_one(self, builder: Any, url: str, *, what: str, permission: str | None) -> Any:
        result = await self.call(
            lambda: builder.with_url(url).get(), what=what, permission=permission
        )
        if result is None:
            raise GraphPayloadError(f"Graph returned an empty body for {what}", what=what)
        return result

    async def get_all(
        self, builder: Any, url: str, *, what: str, permission: str | None
    ) -> list[Any]:
        """Every item of a collection, following nextLinks through empty pages."""
        page = await self.get_one(builder, url, what=what, permission=permission)
        return await self.rest_of(builder, page, what=what, permission=permission)

    async def rest_of(
        self, builder: Any, page: Any, *, what: str, permission: str | None
    ) -> list[Any]:
        """The items of the typed ``page`` plus those of every page after it."""

        async def fetch(link: str) -> Any:
            return await self.get_one(builder, link, what=what, permission=permission)

        return await self._follow(
            page,
            lambda p: getattr(p, "value", None),
            lambda p: getattr(p, "odata_next_link", None),
            fetch,
            what=what,
        )

    async def _follow(
        self,
        page: Any,
        value_of: Callable[[Any], Any],
        link_of: Callable[[Any], Any],
        fetch: Callable[[str], Awaitable[Any]],
        *,
        what: str,
    ) -> list[Any]:
        """THE pager: follow ``@odata.nextLink`` until it is absent, through empty pages.

        Refuses a page without ``value``, a nextLink to another host (the token would not go
        there, so it would read as empty) and a nextLink seen before (an endless loop).
        """
        items: list[Any] = []
        seen: set[str] = set()
        while True:
            value = value_of(page)
            if not isinstance(value, list):
                raise GraphPayloadError(
                    f"Graph returned a page without 'value' for {what}", what=what
                )
            items.extend(value)
            link = link_of(page)
            if not link:
                return items
            if not isinstance(link, str):
                raise GraphPayloadError(
                    f"Graph returned a malformed nextLink for {what}", what=what
                )
            if link in seen:
                raise GraphPayloadError(
                    f"Graph repeated a nextLink while reading {what}", what=what
                )
            seen.add(link)
            self._check_next_link(link, what)
            page = await fetch(link)

    async def get_raw(self, url: str, *, what: str, permission: str | None) -> dict[str, Any]:
        """One GET through the SDK's pipeline (auth, retry, errors), answered as raw JSON."""
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        async def send() -> Any:
            info = RequestInformation()
            info.http_method = Method.GET
            info.url = url
            info.headers.try_add("Accept", "application/json")
            return await self.adapter.send_primitive_async(info, "bytes", {"XXX": ODataError})

        raw = await self.call(send, what=what, permission=permission)
        try:
            data = json.loads(raw or b"null")
        except ValueError as exc:
            raise GraphPayloadError(
                f"Graph returned invalid JSON for {what}: {exc}", what=what
            ) from None
        if not isinstance(data, dict):
            raise GraphPayloadError(f"Graph returned no JSON object for {what}", what=what)
        return data

    async def rest_of_raw(
        self,
        page: dict[str, Any],
        *,
        what: str,
        permission: str | None,
        objects_only: bool = True,
    ) -> list[Any]:
        """The raw items of ``page`` and of every page after it (empty pages included).

        ``objects_only=False`` keeps items that are not JSON objects, for a converter that
        refuses them (a typed collection must not lose an item silently).
        """

        async def fetch(link: str) -> Any:
            return await self.get_raw(link, what=what, permission=permission)

        items = await self._follow(
            page, lambda p: p.get("value"), lambda p: p.get("@odata.nextLink"), fetch, what=what
        )
        if not objects_only:
            return items
        return [item for item in items if isinstance(item, dict)]

    async def get_all_raw(
        self, url: str, *, what: str, permission: str | None, objects_only: bool = True
    ) -> list[Any]:
        """Every item of the collection at ``url`` as raw JSON, all pages."""
        page = await self.get_raw(url, what=what, permission=permission)
        return await self.rest_of_raw(
            page, what=what, permission=permission, objects_only=objects_only
        )

    async def batch(self, items: Sequence[BatchItem]) -> dict[str, Any | GraphError]:
        """Run GETs through JSON ``$batch`` (≤ 20 per call); per item a parsed body or an error.

        Items throttled inside a batch (429/503/504) are retried individually after the
        Retry-After they carry, because the SDK's retry handler sees only the outer 200.
        """
        results: dict[str, Any | GraphError] = {}
        chunks = [items[i : i + BATCH_LIMIT] for i in range(0, len(items), BATCH_LIMIT)]
        outcomes = await asyncio.gather(*(self._batch_chunk(chunk) for chunk in chunks))
        for outcome in outcomes:
            results.update(outcome)
        return results

    async def _batch_chunk(
        self, chunk: Sequence[BatchItem], attempt: int = 0
    ) -> dict[str, Any | GraphError]:
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation
        from msgraph_core.requests.batch_request_content import BatchRequestContent
        from msgraph_core.requests.batch_request_item import BatchRequestItem

        content = BatchRequestContent()
        for item in chunk:
            info = RequestInformation()
            info.http_method = Method.GET
            info.url = self.url(item.url)
            request = BatchRequestItem(info, id=item.key)
            # msgraph-core keeps the absolute URL; Graph wants the path relative to /v1.0.
            request.url = item.url
            content.add_request(item.key, request)
        what = f"a batch of {len(chunk)} reads"
        builder = self.client.batch

        async def send() -> Any:
            # msgraph-core's BatchResponseContent cannot read the JSON object bodies Graph
            # returns (it expects base64), so take the raw answer and parse each body here.
            info = await builder.to_post_request_information(content)
            from msgraph.generated.models.o_data_errors.o_data_error import ODataError

            return await self.adapter.send_primitive_async(info, "bytes", {"XXX": ODataError})

        try:
            raw = await self.call(send, what=what, permission=None)
        except GraphError as exc:
            # The whole batch failed (token, transport, throttling): every read in it failed.
            return dict.fromkeys((item.key for item in chunk), exc)
        answers = _batch_answers(raw)
        if answers is None:
            # Truncated, empty, HTML or shapeless: every read in the batch failed, each named.
            return {
                item.key: GraphPayloadError(
                    f"Graph returned an unreadable $batch answer reading {item.what}",
                    what=item.what,
                )
                for item in chunk
            }
        results: dict[str, Any | GraphError] = {}
        retry: list[BatchItem] = []
        retry_after = 1.0
        for item in chunk:
            entry = answers.get(item.key)
            if not isinstance(entry, dict):
                results[item.key] = GraphPayloadError(
                    f"the batch answer lacks {item.what}", what=item.what
                )
                continue
            status = entry.get("status")
            status = status if isinstance(status, int) and not isinstance(status, bool) else 0
            body = _body_bytes(entry.get("body"))
            if 200 <= status < 300:
                try:
                    results[item.key] = _parse(body, item.parse)
                except ValueError as exc:  # Graph's body did not parse (our bugs propagate)
                    results[item.key] = GraphPayloadError(
                        f"Graph returned data for {item.what} that could not be parsed: {exc}",
                        what=item.what,
                    )
                continue
            if status in (429, 503, 504) and attempt < 3:
                retry.append(item)
                retry_after = max(retry_after, _retry_after(entry.get("headers")))
                continue
            results[item.key] = _batch_error(status, body, item)
        if retry:
            log.info("graph.batch.retry", items=len(retry), delay=retry_after, attempt=attempt + 1)
            await asyncio.sleep(min(retry_after, 60.0))
            results.update(await self._batch_chunk(retry, attempt + 1))
        return results


async def _count_response(response: Any) -> None:
    """Count each Graph response by status for ``breakglass_graph_requests_total``."""
    from breakglass.metrics import count_graph_response

    count_graph_response(response.status_code)


def _batch_answers(raw: bytes | None) -> dict[str, Any] | None:
    """The ``responses`` of a ``$batch`` answer by request id; None when unreadable."""
    try:
        data = json.loads(raw or b"")
    except ValueError:
        return None
    responses = data.get("responses") if isinstance(data, dict) else None
    if not isinstance(responses, list):
        return None
    return {str(r.get("id")): r for r in responses if isinstance(r, dict)}


def _body_bytes(body: Any) -> bytes:
    """An inner $batch body: a JSON value (as Graph sends it) or base64 text."""
    if body is None:
        return b""
    if isinstance(body, str):
        import base64
        import binascii

        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return body.encode()
    return json.dumps(body).encode()


def _parse(body: bytes, factory: Any) -> Any:
    from kiota_serialization_json.json_parse_node_factory import JsonParseNodeFactory

    if not body:
        raise ValueError("empty body")
    if factory is None:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        return data
    node = JsonParseNodeFactory().get_root_parse_node("application/json", body)
    return node.get_object_value(factory)


def _retry_after(headers: dict[str, str] | None) -> float:
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except ValueError:
                return 1.0
    return 1.0


def _batch_error(status: int, body: bytes, item: BatchItem) -> GraphError:
    """Turn an inner batch error into the same typed error a direct call would raise."""
    code = message = None
    try:
        err = json.loads(body or b"{}").get("error") or {}
        code, message = err.get("code"), err.get("message")
    except (ValueError, AttributeError):
        pass
    return error_from_status(
        status,
        code=code,
        message=message or f"HTTP {status}",
        what=item.what,
        permission=item.permission,
    )
