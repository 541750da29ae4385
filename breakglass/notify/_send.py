"""Send one ``Notification`` through the channel its settings describe."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from breakglass.config import ChannelKind, ChannelSettings
from breakglass.notify._message import Notification
from breakglass.notify._smtp import send_email
from breakglass.notify._webhooks import send_json

__all__ = ["send_notification"]


def send_notification(
    channel: ChannelSettings, note: Notification, *, resolve: Callable[[Path], Path]
) -> str | None:
    """Deliver ``note``; a note on partial success, ``DeliveryError`` on failure.

    ``resolve`` turns a relative ``ca_bundle`` into a path next to the config file.
    """
    ca_bundle = resolve(channel.ca_bundle) if channel.ca_bundle else None
    if channel.kind is ChannelKind.SMTP:
        return send_email(channel, note, ca_bundle=ca_bundle)
    send_json(channel, note, ca_bundle=ca_bundle)
    return None
