"""Raw JSON reads of Graph audit-log collections through the SDK's request adapter.

The typed SDK models drop fields and enum values they do not know and deserialise slowly
(~10 ms per entity); the watcher keeps sign-ins and audits exactly as Graph returned them,
so it asks the adapter for the bytes and parses the JSON itself. Paging follows
``@odata.nextLink`` through empty pages and only to the Graph host.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from breakglass.errors import GraphPayloadError
from breakglass.graph._session import GraphSession

__all__ = ["get_raw_collection", "odata_time"]


def odata_time(moment: datetime, *, round_up: bool = False) -> str:
    """``2025-01-01T12:00:00Z``; ``round_up`` moves a fractional second to the next one."""
    if round_up and moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def _get_page(gs: GraphSession, builder: Any, url: str, *, what: str, permission: str) -> Any:
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    async def send() -> Any:
        info = builder.with_url(url).to_get_request_information()
        return await gs.adapter.send_primitive_async(info, "bytes", {"XXX": ODataError})

    body = await gs.call(send, what=what, permission=permission)
    try:
        page = json.loads(body or b"")
    except ValueError as exc:
        raise GraphPayloadError(
            f"Graph returned invalid JSON for {what}: {exc}", what=what
        ) from None
    if not isinstance(page, dict) or not isinstance(page.get("value"), list):
        raise GraphPayloadError(f"Graph returned a page without 'value' for {what}", what=what)
    return page


async def get_raw_collection(
    gs: GraphSession, builder: Any, url: str, *, what: str, permission: str
) -> list[dict[str, Any]]:
    """Every item of the collection at ``url`` as raw JSON objects, all pages."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    while True:
        page = await _get_page(gs, builder, url, what=what, permission=permission)
        items.extend(item for item in page["value"] if isinstance(item, dict))
        link = page.get("@odata.nextLink")
        if not link:
            return items
        if not isinstance(link, str) or urlsplit(link).hostname != gs.host:
            # A token never leaves the Graph host, so a foreign link would read as empty.
            raise GraphPayloadError(
                f"Graph returned a nextLink to another host while reading {what}", what=what
            )
        if link in seen:
            raise GraphPayloadError(f"Graph repeated a nextLink while reading {what}", what=what)
        seen.add(link)
        url = link
