"""Graph error mapping covers Graph, transport, parse and token failures, never our own bugs."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from breakglass.errors import GraphError, GraphPayloadError
from breakglass.graph._errors import map_exception
from breakglass.graph.collect import take_snapshot
from tests.support.tenant import healthy_tenant


class _KeywordlessCredential:
    """A token credential with a bug of the kind our factory could have (``StaticTokenCredential``
    without ``**kwargs``): the SDK calls ``get_token(scope, claims=…, enable_cae=…)`` inside every
    Graph request, and the call raises ``TypeError`` there."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


def test_our_own_bug_inside_a_graph_call_keeps_its_name(tenant_factory) -> None:
    """A TypeError raised under a Graph call propagates; it is not "Graph sent bad data"."""
    t = tenant_factory(healthy_tenant())
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        take_snapshot(t.settings, credential=_KeywordlessCredential(t.server.static_token))


@pytest.mark.parametrize("exc", [TypeError("x"), AttributeError("x"), KeyError("x")])
def test_programming_errors_are_not_mapped(exc: Exception) -> None:
    """TypeError, AttributeError and KeyError are ours: map_exception leaves them alone."""
    assert map_exception(exc, what="user bg1", permission="User.Read.All") is None


def test_graph_transport_parse_and_token_failures_are_mapped() -> None:
    """Invalid JSON, a transport failure and a token failure become typed GraphErrors."""
    try:
        json.loads("{not json")
    except ValueError as exc:
        parsed = map_exception(exc, what="user bg1", permission=None)
    assert isinstance(parsed, GraphPayloadError) and "could not be parsed" in str(parsed)
    transport = map_exception(httpx.ConnectError("refused"), what="user bg1", permission=None)
    assert type(transport) is GraphError and "cannot reach" in str(transport)
    token = map_exception(ClientAuthenticationError("AADSTS7000215"), what="x", permission=None)
    assert type(token) is GraphError and token.code == "auth"
