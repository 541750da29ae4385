"""The real msgraph-sdk client against the simulator, through a real credential."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from breakglass.simulator import SimulatorServer

# msgraph-sdk and kiota_abstractions warn at import time about their own deprecated
# classes (class bodies call warn()); not ours to fix.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:kiota_abstractions.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:msgraph.*"),
]


def graph_client(server: SimulatorServer, credential: Any) -> Any:
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph import GraphRequestAdapter, GraphServiceClient

    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=["https://graph.microsoft.com/.default"], allowed_hosts=["127.0.0.1"]
    )
    adapter = GraphRequestAdapter(auth)
    adapter.base_url = server.graph_url + "/v1.0"
    return GraphServiceClient(request_adapter=adapter)


async def close(client: Any) -> None:
    """Close the SDK's connections. msgraph-core's AsyncGraphTransport has no aclose(), so
    closing the httpx client leaves the inner transport's sockets open."""
    http = client.request_adapter._http_client
    inner = getattr(http._transport, "transport", None)
    await http.aclose()
    if inner is not None:
        await inner.aclose()


def test_sdk_reads_users_with_paging_and_retry(server: SimulatorServer) -> None:
    """GraphServiceClient lists users page by page (with an empty page and a 429 on the way)."""
    from azure.identity import CertificateCredential
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder

    credential = CertificateCredential(
        server.tenant_id,
        server.client_id,
        certificate_path=str(server.client_certificate_path),
        authority=server.authority_url,
        disable_instance_discovery=True,
        connection_verify=str(server.ca_bundle_path),
    )
    client = graph_client(server, credential)
    httpx.post(f"{server.control_url}/faults", json={"path": "/v1.0/users", "empty_pages": True})
    httpx.post(
        f"{server.control_url}/faults", json={"path": "skiptoken", "status": 429, "retry_after": 1}
    )

    async def main() -> tuple[list[Any], int]:
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
            select=["id", "userPrincipalName", "accountEnabled"], top=10
        )
        config = RequestConfiguration(query_parameters=query)
        page = await client.users.get(request_configuration=config)
        users, pages = list(page.value), 1
        while page.odata_next_link:
            page = await client.users.with_url(page.odata_next_link).get()
            users += page.value
            pages += 1
        await close(client)
        return users, pages

    with credential:
        users, pages = asyncio.run(main())
    assert len(users) == len(server.scenario.collections["users"])
    assert pages >= 5
    assert all(u.account_enabled is not None for u in users)


def test_sdk_typed_memberships_and_methods(
    server: SimulatorServer, accounts: dict[str, Any]
) -> None:
    """Polymorphic items arrive as SDK subclasses (group, directoryRole, fido2 method)."""
    from azure.core.credentials import AccessToken

    class Static:
        def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
            return AccessToken(server.static_token, 2**31)

    client = graph_client(server, Static())
    oid = accounts["bg1"]["object_id"]

    async def main() -> tuple[list[str], list[str]]:
        member_of = await client.users.by_user_id(oid).transitive_member_of.get()
        methods = await client.users.by_user_id(oid).authentication.methods.get()
        await close(client)
        return [type(x).__name__ for x in member_of.value], [
            type(m).__name__ for m in methods.value
        ]

    kinds, method_kinds = asyncio.run(main())
    assert "DirectoryRole" in kinds and "Group" in kinds
    assert "Fido2AuthenticationMethod" in method_kinds
