"""Channel secrets come from the settings type, so every one of them is scrubbed and guarded."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import SecretStr, ValidationError

from breakglass.config import ChannelKind, ChannelSettings, secret_fields
from breakglass.notify import CHANNEL_SECRET_FIELDS, channel_secrets, scrub

#: A field whose name says it holds a secret must be typed SecretStr.
_SECRET_NAME = re.compile(r"secret|token|password|passphrase|key|url|credential|auth|sig", re.I)

_REQUIRED: dict[ChannelKind, dict[str, Any]] = {
    ChannelKind.SMTP: {"host": "smtp.example", "sender": "a@b.example", "recipients": ["c@d.e"]},
    ChannelKind.TEAMS: {},
    ChannelKind.SLACK: {},
    ChannelKind.WEBHOOK: {},
}


def _secret_value(kind: ChannelKind, field: str) -> str:
    if field == "url":
        return f"https://hooks.example/{kind.value}/Zq81PathTok3n/more?sig=Qu3ryS1gValue&x=1"
    return f"{kind.value}-{field}-Vx7Kp2Lm9Q"


def _channel(kind: ChannelKind) -> ChannelSettings:
    values = {f: _secret_value(kind, f) for f in CHANNEL_SECRET_FIELDS}
    return ChannelSettings(name=f"c-{kind.value}", kind=kind, **_REQUIRED[kind], **values)


def test_secret_fields_are_derived_from_the_settings_type() -> None:
    """CHANNEL_SECRET_FIELDS is every SecretStr field of ChannelSettings, the three of today."""
    assert secret_fields(ChannelSettings) == CHANNEL_SECRET_FIELDS
    assert set(CHANNEL_SECRET_FIELDS) == {"password", "url", "hmac_secret"}
    for name in CHANNEL_SECRET_FIELDS:
        assert "SecretStr" in str(ChannelSettings.model_fields[name].annotation)


def test_every_field_named_like_a_secret_is_a_secret_field() -> None:
    """A new channel field named like a secret but typed str would escape the scrubber: refused."""
    named = [n for n in ChannelSettings.model_fields if _SECRET_NAME.search(n)]
    assert len(named) >= 3
    assert set(named) <= set(CHANNEL_SECRET_FIELDS)


@pytest.mark.parametrize("kind", list(ChannelKind))
def test_every_secret_field_of_every_channel_kind_is_scrubbed(kind: ChannelKind) -> None:
    """Each secret of each kind of channel, verbatim or URL-quoted, is gone from scrubbed text."""
    channel = _channel(kind)
    secrets = [_secret_value(kind, f) for f in CHANNEL_SECRET_FIELDS]
    assert len(secrets) == len(CHANNEL_SECRET_FIELDS) >= 3
    text = " | ".join(
        f"{f}={s} quoted={quote(s, safe='')}"
        for f, s in zip(CHANNEL_SECRET_FIELDS, secrets, strict=True)
    )
    text += " path-only=/url/Zq81PathTok3n/more token-only=Qu3ryS1gValue"
    text += " echoed=https://hooks.example/elsewhere/Zq81PathTok3n"

    cleaned = scrub(text, channel_secrets(channel))

    for secret in secrets:
        assert secret not in cleaned and quote(secret, safe="") not in cleaned
    for fragment in ("Zq81PathTok3n", "Qu3ryS1gValue", "Vx7Kp2Lm9Q"):
        assert fragment not in cleaned
    # Any other URL keeps only its host, so an error remains actionable.
    assert "echoed=https://hooks.example/<redacted>" in cleaned


@pytest.mark.parametrize("field", CHANNEL_SECRET_FIELDS)
def test_every_secret_field_refuses_a_placeholder(field: str) -> None:
    """A placeholder in any secret field is a configuration error naming that field."""
    value = "https://hooks.example/changeme" if field == "url" else "changeme"
    with pytest.raises(ValidationError) as info:
        ChannelSettings(name="c", kind=ChannelKind.WEBHOOK, **{**_all_secrets(), field: value})
    assert [e["loc"] for e in info.value.errors()] == [(field,)]
    assert "placeholder" in str(info.value)


def _all_secrets() -> dict[str, Any]:
    return {f: SecretStr(_secret_value(ChannelKind.WEBHOOK, f)) for f in CHANNEL_SECRET_FIELDS}
