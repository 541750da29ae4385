"""A tampered audit database through ``breakglass audit verify`` (issue 11, item 3).

tests/audit/test_verify.py proves the verifier finds each kind of tampering; here the real
command runs over a database someone with full access changed: edited, deleted, truncated
and appended rows (the last with a valid hash), and changed or foreign checkpoints, with
and without ``--checkpoint``. Every case is one ``error:`` line per problem naming the entry
or the checkpoint, exit 5; an appended entry that still verifies is reported as not covered
by a checkpoint, never as plainly "intact"; and the database keeps every row it had.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import tomli_w
from sqlalchemy import create_engine

from breakglass.exitcodes import ExitCode
from tests.support.audit_db import AuditTamper
from tests.support.cli import CliResult, run_main
from tests.support.settings import AUDIT_TENANT, audit_config

ENTRIES = 6


@dataclass
class Audited:
    """A store with ENTRIES audit entries, a checkpoint over them, exported to a file."""

    config: Path
    checkpoint: Path
    db: AuditTamper

    def verify(self, *extra: str, external: bool = True) -> CliResult:
        args = ["audit", "verify", "-c", str(self.config), *extra]
        if external:
            args += ["--checkpoint", str(self.checkpoint)]
        else:  # nothing outside the database: move the exported files away
            for path in self.checkpoint.parent.glob("checkpoint-*.txt"):
                path.rename(path.parent.parent / path.name)
        return run_main(*args)


@pytest.fixture
def audited(tmp_path: Path, sqlite_url: str) -> Iterator[Audited]:
    from breakglass.audit import append
    from breakglass.store import Store

    config = tmp_path / "breakglass.toml"
    config.write_text(tomli_w.dumps(audit_config(sqlite_url)))
    config.chmod(0o600)
    assert run_main("audit", "keys-init", "-c", str(config)).code == 0
    with Store.open(sqlite_url) as store:
        for n in range(ENTRIES):
            with store.transaction() as session:
                append(
                    session,
                    tenant_id=AUDIT_TENANT,
                    actor="alice@contoso.com",
                    action="review.submitted",
                    data={"review": n + 1},
                )
    made = run_main("audit", "checkpoint", "-c", str(config))
    assert made.code == 0, made.stderr
    engine = create_engine(sqlite_url)
    try:
        yield Audited(config, Path(made.stdout.strip()), AuditTamper(engine))
    finally:
        engine.dispose()


def _failed(result: CliResult, *needles: str) -> list[str]:
    """Exit 5, FAILED on stdout, one ``error:`` line per problem holding ``needles``."""
    assert result.escaped is None, repr(result.escaped)
    assert "Traceback" not in result.stderr
    assert result.code == ExitCode.VERIFICATION_FAILED, (result.code, result.stdout, result.stderr)
    assert result.stdout.startswith("FAILED: the audit log"), result.stdout
    errors = [line for line in result.error_lines if line.startswith("error: ")]
    assert len(errors) >= 1, result.stderr
    for needle in needles:
        assert any(needle in line for line in errors), (needle, errors)
    return errors


Tamper = Callable[[AuditTamper], object]

#: name → (what the DBA does, words the errors must hold without and with --checkpoint)
CASES: dict[str, tuple[Tamper, tuple[str, ...], tuple[str, ...]]] = {
    "edited payload": (
        lambda db: db.execute(
            "UPDATE audit_log SET payload = replace(payload, 'alice', 'mallo') WHERE seq = 3"
        ),
        ("entry 3: entry_hash mismatch",),
        ("entry 3: entry_hash mismatch",),
    ),
    "edited column only": (
        lambda db: db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"),
        ("entry 2: column actor differs from the hashed payload",),
        ("entry 2: column actor differs",),
    ),
    "rewritten chain": (
        lambda db: db.rewrite_from(2, lambda entry: entry.update(actor="mallory@contoso.com")),
        ("stored checkpoint", "the log was rewritten"),
        ("the log was rewritten",),
    ),
    "deleted middle row": (
        lambda db: db.execute("DELETE FROM audit_log WHERE seq = 4"),
        ("entry 5: sequence gap: entry 4 is missing", "entry 5: prev_hash does not link"),
        ("sequence gap",),
    ),
    "deleted tail": (
        lambda db: db.execute("DELETE FROM audit_log WHERE seq > :n", n=ENTRIES - 2),
        (f"log truncated: checkpoint says {ENTRIES}, log has {ENTRIES - 2}",),
        (f"log truncated: checkpoint says {ENTRIES}, log has {ENTRIES - 2}",),
    ),
    "truncated hash": (
        lambda db: db.execute(
            "UPDATE audit_log SET entry_hash = substr(entry_hash, 1, 20) WHERE seq = 5"
        ),
        ("entry 5: a stored hash is not 64 hex digits",),
        ("entry 5: a stored hash is not 64 hex digits",),
    ),
    "truncated payload": (
        lambda db: db.execute(
            "UPDATE audit_log SET payload = substr(payload, 1, 30) WHERE seq = 1"
        ),
        ("entry 1: the payload is not JSON", "entry 1: entry_hash mismatch"),
        ("entry 1: the payload is not JSON",),
    ),
    "time column not a time": (
        lambda db: db.execute("UPDATE audit_log SET at = 'yesterday' WHERE seq = 2"),
        ("entry 2: column at is not a time",),
        ("entry 2: column at is not a time",),
    ),
    "payload a number": (
        lambda db: db.execute("UPDATE audit_log SET payload = 42 WHERE seq = 3"),
        ("entry 3: the payload is not a JSON object",),
        ("entry 3: the payload is not a JSON object",),
    ),
    "hash not hex": (
        lambda db: db.execute("UPDATE audit_log SET entry_hash = :h WHERE seq = 4", h="zz" * 32),
        ("entry 4: a stored hash is not 64 hex digits",),
        ("entry 4: a stored hash is not 64 hex digits",),
    ),
    "emptied log": (
        lambda db: db.execute("DELETE FROM audit_log"),
        (f"log truncated: checkpoint says {ENTRIES}, log has 0",),
        (f"log truncated: checkpoint says {ENTRIES}, log has 0",),
    ),
    "changed stored checkpoint": (
        lambda db: db.execute("UPDATE audit_checkpoints SET size = 2"),
        ("stored checkpoint", "its size/root columns differ from its signed text"),
        ("its size/root columns differ",),
    ),
    "forged stored checkpoint text": (
        lambda db: db.execute(
            "UPDATE audit_checkpoints SET text = replace(text, :old, :new)",
            old=f"\n{ENTRIES}\n",
            new="\n2\n",
        ),
        ("stored checkpoint",),
        ("stored checkpoint",),
    ),
}


@pytest.mark.parametrize("external", [False, True], ids=["stored-only", "--checkpoint"])
@pytest.mark.parametrize("name", list(CASES))
def test_tampered_log_fails_with_the_entry_named(
    audited: Audited, name: str, external: bool
) -> None:
    """Each tampering: exit 5 and the entry or checkpoint named, whether or not an external
    checkpoint is given (the stored one still catches what the chain cannot)."""
    tamper, without, with_file = CASES[name]
    tamper(audited.db)
    size = len(audited.db.rows())
    errors = _failed(audited.verify(external=external), *(with_file if external else without))
    assert all(len(line) < 400 for line in errors), errors
    as_json = json.loads(audited.verify("--format", "json", external=external).stdout)
    assert as_json["ok"] is False and as_json["size"] == size
    assert len(audited.db.rows()) == size  # verifying changes nothing


def test_appended_entry_with_a_valid_hash_is_reported_as_not_anchored(audited: Audited) -> None:
    """An entry appended after the last checkpoint verifies by its hash, so exit 0, but the
    summary and the JSON say it is covered by no checkpoint (a forger could have added it)."""
    seq = audited.db.append_valid()
    result = audited.verify()
    assert result.code == ExitCode.OK, result.stderr
    assert f"entries {seq}…{seq} are newer than the newest external checkpoint" in result.stderr
    assert result.stdout.startswith(f"OK: the audit log's {seq} entries are intact")
    assert f"entry {seq} is not covered by a checkpoint" in result.stdout
    data = json.loads(audited.verify("--format", "json").stdout)
    assert data["ok"] is True and data["size"] == seq
    assert data["covered_size"] == ENTRIES and data["uncovered"] == [seq, seq]


def test_appended_entry_without_any_external_checkpoint(audited: Audited) -> None:
    """With only the stored checkpoint, the appended entries are named as not covered too,
    and the summary says no checkpoint outside the database was checked."""
    audited.db.append_valid()
    audited.db.append_valid()
    result = audited.verify(external=False)
    assert result.code == ExitCode.OK, result.stderr
    assert "no external checkpoint was given" in result.stderr
    assert f"entries {ENTRIES + 1}…{ENTRIES + 2} are not covered by a checkpoint" in result.stdout
    assert "outside the database" in result.stdout


def test_appended_entry_under_a_forged_checkpoint_fails(audited: Audited, tmp_path: Path) -> None:
    """A forger who appends and then signs a checkpoint with their own key is refused."""
    from breakglass.audit import init_checkpoint_key
    from breakglass.config import settings_from_dict

    audited.db.append_valid()
    forger = settings_from_dict(
        {**audit_config("sqlite:///x.db"), "audit": {"checkpoint_key_path": "forger.pem"}},
        config_path=tmp_path / "forger" / "x.toml",
        env=False,
    )
    (tmp_path / "forger").mkdir()
    key = init_checkpoint_key(forger)
    from breakglass.audit import (
        load_checkpoint_signing_key,
        merkle_root,
        origin_for,
        sign_checkpoint,
    )

    leaves = [bytes.fromhex(r.entry_hash) for r in audited.db.rows()]
    text = sign_checkpoint(
        origin_for(AUDIT_TENANT),
        len(leaves),
        merkle_root(leaves),
        load_checkpoint_signing_key(forger),
    ).text()
    forged = tmp_path / "forged-checkpoint.txt"
    forged.write_text(text)
    assert key.fingerprint
    _failed(run_main("audit", "verify", "-c", str(audited.config), "--checkpoint", str(forged)))


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "not a valid checkpoint"),
        (b"\xff\xfe\x00garbage", "cannot read it"),
        (b"breakglass-audit/x\n99999999999999999999999\nAAAA\n\n", "not a valid checkpoint"),
        ("changed-size", "signature"),
        ("other-tenant", "not signed by the given checkpoint key"),
    ],
    ids=["empty", "binary", "huge-size", "changed-size", "other-tenant"],
)
def test_changed_checkpoint_file_fails_naming_the_file(
    audited: Audited, content: bytes | str, needle: str
) -> None:
    """A checkpoint file that is empty, binary, edited or from another tenant vouches for
    nothing: exit 5 naming the file and why."""
    text = audited.checkpoint.read_text(encoding="utf-8")
    if content == "changed-size":
        data = text.replace(f"\n{ENTRIES}\n", "\n3\n", 1).encode()
    elif content == "other-tenant":
        data = text.replace(AUDIT_TENANT, "00000000-0000-4000-8000-000000000000").encode()
    else:
        assert isinstance(content, bytes)
        data = content
    audited.checkpoint.write_bytes(data)
    errors = _failed(audited.verify(), str(audited.checkpoint))
    assert any(needle in line for line in errors), errors


def test_endless_checkpoint_and_key_files(audited: Audited) -> None:
    """/dev/zero as --checkpoint (exit 5, the file named) or --public-key (exit 2): a bounded
    read, never to the end."""
    checkpoint = run_main("audit", "verify", "-c", str(audited.config), "--checkpoint", "/dev/zero")
    _failed(checkpoint, "/dev/zero: it is larger than 64 KiB: not a checkpoint")
    key = run_main("audit", "verify", "-c", str(audited.config), "--public-key", "/dev/zero")
    assert key.code == ExitCode.USAGE, key.stderr
    errors = [line for line in key.error_lines if line.startswith("error: ")]
    assert len(errors) == 1 and "/dev/zero is larger than 64 KiB" in errors[0], key.stderr
