"""Checkpoints are published outside the database: a file and the auditors' channel."""

from __future__ import annotations

from pathlib import Path

from breakglass import jobs
from breakglass.audit import (
    init_checkpoint_key,
    load_public_key,
    origin_for,
    public_key_path,
    verify_log,
)
from breakglass.config import settings_from_dict
from breakglass.notify import channels_for
from tests.support.notify import hook_channel, serve_receiver
from tests.support.settings import AUDIT_TENANT, audit_config


def test_named_only_event_is_not_taken_by_a_wildcard_channel(db_url: str, tmp_path: Path) -> None:
    """``*`` takes every alert but the hourly checkpoint, which a channel must name."""
    raw = audit_config(db_url)
    raw["notifications"] = {
        "channels": [
            {"name": "oncall", "kind": "teams", "url": "https://example.invalid/a"},
            {
                "name": "auditors",
                "kind": "teams",
                "url": "https://example.invalid/b",
                "events": ["audit_checkpoint"],
            },
        ]
    }
    settings = settings_from_dict(raw, config_path=tmp_path / "c.toml", env=False)
    assert channels_for(settings.notifications, "audit_checkpoint") == ["auditors"]
    assert channels_for(settings.notifications, "signin") == ["oncall"]


def test_auditors_copy_catches_a_rewrite_of_the_database_and_its_checkpoints(
    store, config_file: Path, db_url: str, fill, dba, tmp_path: Path
) -> None:
    """The signed note sent to the auditors' channel still exposes a log rewritten together
    with its stored checkpoints and exported files."""
    receivers = serve_receiver(None)
    receiver = next(receivers)
    try:
        raw = audit_config(db_url)
        raw["notifications"] = {
            "channels": [
                hook_channel(receiver, "auditors", "webhook", events=["audit_checkpoint"]),
                hook_channel(receiver, "oncall", "webhook"),
            ]
        }
        settings = settings_from_dict(raw, config_path=config_file, env=False)
        init_checkpoint_key(settings)
        fill(5)
        exported = jobs.checkpoint(store, settings)
        jobs.dispatch(store, settings)
    finally:
        next(receivers, None)

    sent = receiver.to("auditors")
    assert len(sent) == 1 and receiver.to("oncall") == []
    body = sent[0].json()
    assert body["event_type"] == "audit_checkpoint"
    note = body["payload"]["signed_note"]
    assert note == exported.read_text(encoding="utf-8")
    assert body["payload"]["size"] == 5
    auditors_copy = tmp_path / "auditors-copy.txt"
    auditors_copy.write_text(note, encoding="utf-8")

    # The attacker rewrites entry 2 with valid hashes, deletes the stored checkpoints and
    # the exported files: nothing inside the service's reach is left to disagree.
    dba.rewrite_from(2, lambda data: data["data"].update(note="nothing happened"))
    dba.execute("DELETE FROM audit_checkpoints")
    for path in exported.parent.iterdir():
        path.unlink()
    public = load_public_key(public_key_path(settings.resolve(settings.audit.checkpoint_key_path)))
    with store.session() as session:
        inside = verify_log(
            session, checkpoints=[], public_key=public, origin=origin_for(AUDIT_TENANT)
        )
        outside = verify_log(
            session,
            checkpoints=[auditors_copy],
            public_key=public,
            origin=origin_for(AUDIT_TENANT),
        )
    assert inside.ok
    assert not outside.ok
    assert "do not match its signed root" in "\n".join(str(p) for p in outside.problems)
