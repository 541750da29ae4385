"""``[notifications] timezone``: the zone alerts show next to UTC."""

from __future__ import annotations

import pytest

from breakglass.errors import ConfigError
from tests.support.notify import TENANT
from tests.support.settings import offline_settings


def test_timezone_defaults_to_utc() -> None:
    """Without the setting, alerts show UTC only."""
    assert offline_settings("sqlite://", tenant_id=TENANT).notifications.timezone == "UTC"


def test_iana_timezone_is_accepted() -> None:
    """An IANA zone name is kept as given."""
    settings = offline_settings(
        "sqlite://", tenant_id=TENANT, notifications={"timezone": "Europe/Oslo"}
    )
    assert settings.notifications.timezone == "Europe/Oslo"


@pytest.mark.parametrize("zone", ["Europe/Olso", "CET+1", "../../etc/passwd", ""])
def test_unknown_timezone_is_refused_with_its_field(zone: str) -> None:
    """A name zoneinfo does not know is a configuration error naming notifications.timezone."""
    with pytest.raises(ConfigError, match=r"notifications\.timezone: .*IANA time zone"):
        offline_settings("sqlite://", tenant_id=TENANT, notifications={"timezone": zone})
