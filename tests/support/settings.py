"""Settings for tests that need no tenant: a tenant id, an offline credential, a store."""

from __future__ import annotations

from typing import Any

from breakglass.config import Settings, settings_from_dict

__all__ = ["AUDIT_TENANT", "audit_config", "offline_settings"]

AUDIT_TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"


def offline_settings(store_url: str, *, tenant_id: str, **sections: Any) -> Settings:
    """Settings that never reach Entra (Azure CLI credential), for store-only tests."""
    return settings_from_dict(
        {
            "tenant": {"id": tenant_id},
            "credential": {"kind": "azure_cli"},
            "store": {"url": store_url},
            **sections,
        },
        env=False,
    )


def audit_config(db_url: str) -> dict[str, Any]:
    """The audit tests' configuration as a dict (checkpoint key and export folder)."""
    return {
        "tenant": {"id": AUDIT_TENANT, "name": "Contoso Ltd"},
        "credential": {"kind": "azure_cli"},
        "store": {"url": db_url},
        "audit": {
            "checkpoint_dir": "exported-checkpoints",
            "checkpoint_key_path": "keys/audit-checkpoint.key.pem",
        },
    }
