"""``breakglass notify test`` and ``breakglass notify dispatch --once``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
import tomli_w
from typer.testing import CliRunner

from breakglass.cli.notify import notify_app
from breakglass.logs import configure_logging
from breakglass.notify import SessionFactory
from tests.support.notify import (
    HMAC_SECRET,
    TENANT,
    URL_TOKEN,
    Receiver,
    deliveries,
    hook_channel,
    make_settings,
    queue,
)


@pytest.fixture(autouse=True)
def _logs_on_stderr() -> Iterator[None]:
    """As under `breakglass` (whose callback does this): logs on stderr, stdout for results."""
    configure_logging("info")
    yield
    structlog.reset_defaults()


def _config(tmp_path: Path, db_url: str, channels: list[dict[str, Any]]) -> Path:
    path = tmp_path / "breakglass.toml"
    path.write_text(
        tomli_w.dumps(
            {
                "tenant": {"id": TENANT},
                "credential": {"kind": "azure_cli"},
                "store": {"url": db_url},
                "notifications": {"channels": channels, "max_attempts": 3},
            }
        )
    )
    path.chmod(0o600)
    return path


def test_notify_test_reports_each_channel(db_url: str, tmp_path: Path, receiver: Receiver) -> None:
    """`notify test` sends to every channel and prints one result line per channel."""
    receiver.status["bad"] = 404
    config = _config(
        tmp_path,
        db_url,
        [hook_channel(receiver, "good", "webhook"), hook_channel(receiver, "bad", "teams")],
    )

    result = CliRunner().invoke(notify_app, ["test", "--config", str(config)])

    assert result.exit_code == 4, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("good: sent")
    assert lines[1].startswith("bad: retry") and "HTTP 404" in lines[1]
    assert URL_TOKEN not in result.output and HMAC_SECRET not in result.output
    (sent,) = receiver.to("good")
    assert sent.json()["event_type"] == "test"


def test_notify_test_one_channel_as_json(db_url: str, tmp_path: Path, receiver: Receiver) -> None:
    """`--channel` limits the test to one channel; `--json` prints the outcomes."""
    config = _config(
        tmp_path,
        db_url,
        [hook_channel(receiver, "one", "slack"), hook_channel(receiver, "two", "slack")],
    )

    result = CliRunner().invoke(
        notify_app, ["test", "--config", str(config), "--channel", "two", "--json"]
    )

    assert result.exit_code == 0, result.output
    assert [o["channel"] for o in json.loads(result.stdout)] == ["two"]
    assert receiver.to("one") == [] and len(receiver.to("two")) == 1

    unknown = CliRunner().invoke(notify_app, ["test", "--config", str(config), "--channel", "x"])
    assert unknown.exit_code == 2 and "no channel named 'x'" in unknown.stderr


def test_dispatch_once_delivers_the_queue(
    db_url: str, tmp_path: Path, sessions: SessionFactory, receiver: Receiver
) -> None:
    """`notify dispatch --once` delivers what is due and exits 0 when all went out."""
    channels = [hook_channel(receiver, "hook", "webhook")]
    config = _config(tmp_path, db_url, channels)
    queue(sessions, make_settings(db_url, channels))

    result = CliRunner().invoke(notify_app, ["dispatch", "--config", str(config), "--once"])

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("hook: sent")
    assert len(receiver.to("hook")) == 1


def test_notify_test_delivers_only_its_own_message(
    db_url: str, tmp_path: Path, sessions: SessionFactory, receiver: Receiver
) -> None:
    """`notify test` sends its test message only; notifications already queued stay pending."""
    channels = [hook_channel(receiver, "hook", "webhook")]
    config = _config(tmp_path, db_url, channels)
    queued = queue(sessions, make_settings(db_url, channels))

    result = CliRunner().invoke(notify_app, ["test", "--config", str(config), "--json"])

    assert result.exit_code == 0, result.output
    (outcome,) = json.loads(result.stdout)
    assert outcome["outbox_id"] != queued and outcome["status"] == "sent"
    (sent,) = receiver.to("hook")
    assert sent.json()["event_type"] == "test"
    assert [(d.outbox_id, d.status) for d in deliveries(sessions)] == [
        (queued, "pending"),
        (outcome["outbox_id"], "sent"),
    ]
