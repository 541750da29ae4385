"""Verification catches each attack of signing-and-review-facts B.4, on both backends."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from breakglass.audit import (
    AuditVerificationError,
    load_public_key,
    origin_for,
    parse_checkpoint,
    public_key_path,
    sign_checkpoint,
    verify_log,
    write_checkpoint,
)
from tests.support.settings import AUDIT_TENANT as TENANT


def _pub(settings):
    return load_public_key(public_key_path(settings.resolve(settings.audit.checkpoint_key_path)))


def _verify(store, settings, checkpoints=(), **kwargs):
    with store.session() as session:
        return verify_log(
            session,
            checkpoints=list(checkpoints),
            public_key=_pub(settings),
            origin=origin_for(TENANT),
            **kwargs,
        )


def _checkpoint(store, settings) -> Path:
    with store.transaction() as session:
        return write_checkpoint(session, settings)


def _reasons(report) -> str:
    return "\n".join(str(p) for p in report.problems)


def test_clean_chain_verifies_with_its_checkpoint(store, keyed, fill) -> None:
    """An untouched log of 12 entries verifies against a checkpoint of its first 10."""
    fill(10)
    path = _checkpoint(store, keyed)
    fill(2)
    report = _verify(store, keyed, [path])
    assert report.ok, _reasons(report)
    assert report.size == 12
    assert [c.size for c in report.checkpoints if c.external] == [10]
    assert any("11…12" in n for n in report.notes)


def test_empty_log_verifies(store, keyed) -> None:
    """An empty log and a checkpoint of size 0 verify."""
    path = _checkpoint(store, keyed)
    assert parse_checkpoint(path.read_text()).size == 0
    assert _verify(store, keyed, [path]).ok


def test_edited_row_is_caught_by_the_chain_alone(store, keyed, fill, dba) -> None:
    """A DBA edits entry 4's payload (triggers bypassed): its entry_hash no longer matches."""
    fill(6)
    dba.execute(
        "UPDATE audit_log SET payload = replace(payload, 'täst', 'nothing to see') WHERE seq = 4"
    )
    report = _verify(store, keyed)
    assert not report.ok
    assert [(p.seq, p.reason.split(":")[0]) for p in report.problems] == [
        (4, "entry_hash mismatch")
    ]


def test_edited_column_is_caught(store, keyed, fill, dba) -> None:
    """Editing the actor column (not hashed) is caught: it differs from the hashed payload."""
    fill(3)
    dba.execute("UPDATE audit_log SET actor = 'mallory@contoso.com' WHERE seq = 2")
    report = _verify(store, keyed)
    assert [(p.seq, p.reason) for p in report.problems] == [
        (2, "column actor differs from the hashed payload")
    ]


def test_recomputed_chain_passes_the_chain_but_not_the_checkpoint(store, keyed, fill, dba) -> None:
    """Edit entry 3 and recompute every later hash: the chain is consistent, the checkpoint is not."""
    fill(8)
    path = _checkpoint(store, keyed)
    dba.rewrite_from(3, lambda data: data.update(actor="mallory@contoso.com"))
    dba.execute("UPDATE audit_log SET actor = 'mallory@contoso.com' WHERE seq = 3")
    chain_only = _verify(store, keyed, include_stored=False)
    assert chain_only.ok, _reasons(chain_only)
    report = _verify(store, keyed, [path], include_stored=False)
    assert not report.ok
    assert "the first 8 entries do not match its signed root" in _reasons(report)


def test_stored_checkpoint_catches_a_rewrite_until_the_dba_deletes_it(
    store, keyed, fill, dba
) -> None:
    """The stored (signed) checkpoint catches a rewrite; deleting it leaves only the file."""
    fill(5)
    path = _checkpoint(store, keyed)
    dba.rewrite_from(2, lambda data: data["data"].update(note="nothing happened"))
    assert "stored checkpoint #1" in _reasons(_verify(store, keyed))
    dba.execute("DELETE FROM audit_checkpoints")
    assert _verify(store, keyed).ok  # no defence left inside the database
    assert not _verify(store, keyed, [path]).ok


def test_truncated_tail_is_caught_by_a_checkpoint(store, keyed, fill, dba) -> None:
    """Deleting the newest 3 of 9 entries is invisible to the chain, not to the checkpoint."""
    fill(9)
    path = _checkpoint(store, keyed)
    dba.execute("DELETE FROM audit_log WHERE seq > 6")
    assert _verify(store, keyed, include_stored=False).ok
    report = _verify(store, keyed, [path], include_stored=False)
    assert [p.reason.split(" (")[0] for p in report.problems] == [
        "log truncated: checkpoint says 9, log has 6"
    ]


def test_deleted_middle_entry_is_a_gap(store, keyed, fill, dba) -> None:
    """Deleting entry 3 of 5 shows as a sequence gap and a broken link at entry 4."""
    fill(5)
    dba.execute("DELETE FROM audit_log WHERE seq = 3")
    problems = _verify(store, keyed).problems
    assert {p.seq for p in problems} == {4}
    assert any("gap" in p.reason for p in problems)
    assert any("prev_hash" in p.reason for p in problems)


def _forge(path: Path, edit) -> Path:
    forged = path.with_name("forged.txt")
    forged.write_text(edit(path.read_text()))
    return forged


@pytest.mark.parametrize("what", ["size", "root", "other-key"])
def test_forged_checkpoint_is_rejected(store, keyed, fill, dba, what: str) -> None:
    """A checkpoint with an edited size or root, or signed by another key, is rejected."""
    fill(4)
    path = _checkpoint(store, keyed)
    dba.execute("DELETE FROM audit_log WHERE seq > 2")
    cp = parse_checkpoint(path.read_text())
    if what == "size":  # the attacker "shortens" the checkpoint to hide the truncation
        forged = _forge(path, lambda t: t.replace("\n4\n", "\n2\n", 1))
    elif what == "root":
        forged = _forge(path, lambda t: t.replace(t.split("\n")[2], "A" * 43 + "=", 1))
    else:
        from breakglass.audit import merkle_root

        with store.session() as session:
            from sqlalchemy import text

            leaves = [
                bytes.fromhex(h)
                for h in session.execute(
                    text("SELECT entry_hash FROM audit_log ORDER BY seq")
                ).scalars()
            ]
        other = sign_checkpoint(cp.origin, 2, merkle_root(leaves), Ed25519PrivateKey.generate())
        forged = _forge(path, lambda _t: other.text())
    report = _verify(store, keyed, [forged], include_stored=False)
    assert not report.ok
    expected = {
        "size": "its signature does not verify: the checkpoint was edited or forged",
        "root": "its signature does not verify: the checkpoint was edited or forged",
        "other-key": "it is not signed by the given checkpoint key",
    }[what]
    assert [p.kind for p in report.problems] == ["checkpoint"]
    assert expected in _reasons(report)


def test_checkpoint_of_another_origin_is_rejected(store, keyed, fill) -> None:
    """A validly signed checkpoint for a different origin does not vouch for this log."""
    fill(1)
    path = _checkpoint(store, keyed)
    with store.session() as session:
        report = verify_log(
            session,
            checkpoints=[path],
            public_key=_pub(keyed),
            origin="breakglass-audit/elsewhere",
            include_stored=False,
        )
    assert "is for breakglass-audit/" in _reasons(report)


def test_without_a_public_key_checkpoints_count_as_problems(store, keyed, fill) -> None:
    """No public key: the chain is checked, each checkpoint is a problem (never silently ok)."""
    fill(2)
    path = _checkpoint(store, keyed)
    with store.session() as session:
        report = verify_log(session, checkpoints=[path], public_key=None)
    assert not report.ok
    assert "no checkpoint public key" in _reasons(report)


def test_write_checkpoint_refuses_a_tampered_log(store, keyed, fill, dba) -> None:
    """Signing over a log that fails verification would launder the tampering: refused."""
    fill(3)
    _checkpoint(store, keyed)
    dba.execute("DELETE FROM audit_log WHERE seq = 3")
    with pytest.raises(AuditVerificationError, match="refusing to sign"):
        _checkpoint(store, keyed)


def test_checkpoint_is_stored_and_exported_with_safe_modes(store, keyed, fill) -> None:
    """The file lands in a 0700 folder with mode 0644, and the same text is in the table."""
    fill(2)
    path = _checkpoint(store, keyed)
    assert path.parent == keyed.resolve(keyed.audit.checkpoint_dir)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    key_path = keyed.resolve(keyed.audit.checkpoint_key_path)
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    with store.session() as session:
        from sqlalchemy import select

        from breakglass.store.tables import AuditCheckpointRow

        row = session.scalars(select(AuditCheckpointRow)).one()
    assert row.text == path.read_text()
    assert (row.size, row.root) == (2, parse_checkpoint(row.text).root_hex)


def test_report_json_shape(store, keyed, fill) -> None:
    """to_json_dict is plain JSON with ok, size, head, checkpoints, problems and notes."""
    fill(1)
    data = json.loads(json.dumps(_verify(store, keyed).to_json_dict()))
    assert data["schema"] == "breakglass.audit-verify/v1"
    assert {"ok", "size", "head", "checkpoints", "problems", "notes"} <= set(data)


def test_key_rotation_does_not_block_new_checkpoints(store, keyed, fill) -> None:
    """After keys-init --force, old checkpoints no longer verify but new ones can be signed."""
    from breakglass.audit import init_checkpoint_key

    fill(2)
    old = _checkpoint(store, keyed)
    init_checkpoint_key(keyed, force=True)
    fill(1)
    new = _checkpoint(store, keyed)
    report = _verify(store, keyed, [old, new])
    assert {p.kind for p in report.problems} == {"checkpoint"}
    assert [c.size for c in report.checkpoints if c.ok and c.external] == [3]
