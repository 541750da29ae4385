"""Microsoft national clouds: Graph and authority hosts (DESIGN §5)."""

from __future__ import annotations

from dataclasses import dataclass

from breakglass.config import Cloud

__all__ = ["CloudEndpoints", "endpoints_for"]


@dataclass(frozen=True)
class CloudEndpoints:
    graph: str  # e.g. https://graph.microsoft.com
    authority: str  # e.g. login.microsoftonline.com

    @property
    def scope(self) -> str:
        return f"{self.graph}/.default"


_CLOUDS: dict[Cloud, CloudEndpoints] = {
    Cloud.GLOBAL: CloudEndpoints("https://graph.microsoft.com", "login.microsoftonline.com"),
    Cloud.USGOV: CloudEndpoints("https://graph.microsoft.us", "login.microsoftonline.us"),
    Cloud.USGOV_DOD: CloudEndpoints("https://dod-graph.microsoft.us", "login.microsoftonline.us"),
    Cloud.CHINA: CloudEndpoints(
        "https://microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn"
    ),
}


def endpoints_for(cloud: Cloud) -> CloudEndpoints:
    return _CLOUDS[cloud]
