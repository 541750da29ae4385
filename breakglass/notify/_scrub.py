"""Remove secrets from error text before it reaches the database, a log or an exception.

Which settings are secret is not listed here: ``CHANNEL_SECRET_FIELDS`` is every
``SecretStr`` field of ``ChannelSettings`` (``breakglass.config.secret_fields``), so a
secret field added to the settings is scrubbed without anyone remembering to.

Webhook URLs carry their token in the path or query (Slack ``/services/T…/B…/xyz``,
Teams ``…/webhookb2/…``, Power Automate ``?sig=…``), so every URL is cut to its scheme and
host, and the channel's configured secrets are removed wherever they appear verbatim
(a secret that is a URL also by its path, query and their parts).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from pydantic import SecretStr

from breakglass.config import ChannelSettings, secret_fields

__all__ = ["CHANNEL_SECRET_FIELDS", "channel_secrets", "scrub"]

#: The secret fields of a notification channel's settings, derived from its type.
CHANNEL_SECRET_FIELDS: tuple[str, ...] = secret_fields(ChannelSettings)

_URL = re.compile(r"""(?i)\b([a-z][a-z0-9+.-]*://)([^/\s'"<>?#]+)[^\s'"<>]*""")
_REDACTED = "<redacted>"
#: Fragments shorter than this are not treated as secrets (they would redact ordinary words).
_MIN_SECRET = 6


def channel_secrets(channel: ChannelSettings) -> list[str]:
    """Every secret the channel's settings hold; for a URL, also its path and query parts."""
    found: list[str] = []
    for name in CHANNEL_SECRET_FIELDS:
        value = getattr(channel, name)
        if not isinstance(value, SecretStr):
            continue
        secret = value.get_secret_value()
        found.append(secret)
        if "://" in secret:
            parts = urlsplit(secret)
            found += [parts.path, parts.query]
            found += [p for p in re.split(r"[/?&=]", parts.path + "&" + parts.query) if p]
    return [s for s in found if len(s) >= _MIN_SECRET]


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` without ``secrets`` (also URL-quoted) and with every URL cut to its host."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        for form in {secret, quote(secret, safe=""), quote(secret)}:
            text = text.replace(form, _REDACTED)
    return _URL.sub(lambda m: f"{m.group(1)}{_host(m.group(2))}/{_REDACTED}", text)


def _host(netloc: str) -> str:
    # user:password@host → host
    return netloc.rsplit("@", 1)[-1]
