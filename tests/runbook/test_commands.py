"""The `runbook` and `keys` Typer commands: exit codes, stdout/stderr, messages."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from breakglass.cli.runbook import keys_app, runbook_app
from breakglass.runbook import build_runbook, latest_release, qr_payload
from breakglass.signing import init_keys, load_signer
from breakglass.store import Store
from tests.support.runbook import (
    PASSPHRASE,
    TENANT,
    forge_runbook,
    make_settings,
    make_snapshot,
    with_update,
    write_config,
)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BREAKGLASS_SIGNING_PASSPHRASE", PASSPHRASE)
    return CliRunner()


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@pytest.fixture
def project(tmp_path: Path, runner: CliRunner) -> dict[str, Path]:
    """A config, keys made by `keys init`, a snapshot file and a runbook built by the CLI."""
    config = write_config(tmp_path)
    result = runner.invoke(keys_app, ["init", "--config", str(config)])
    assert result.exit_code == 0, result.output
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(json.dumps(_plain(make_snapshot())))
    pdf = tmp_path / "out" / "runbook.pdf"
    result = runner.invoke(
        runbook_app, ["build", "-c", str(config), "-o", str(pdf), "--snapshot-file", str(snapshot)]
    )
    assert result.exit_code == 0, result.output
    return {"config": config, "pdf": pdf, "snapshot": snapshot, "folder": tmp_path}


def test_keys_init_cli(project: dict[str, Path], runner: CliRunner) -> None:
    """keys init wrote 0600 files, prints the fingerprint, and refuses to overwrite (exit 2)."""
    key = project["folder"] / "keys" / "runbook.key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = runner.invoke(keys_app, ["init", "--config", str(project["config"])])
    assert again.exit_code == 2 and "already exists" in again.stderr


def test_build_prints_the_release_and_verify_passes(
    project: dict[str, Path], runner: CliRunner
) -> None:
    """build prints the release record as JSON; verify exits 0 and names the document."""
    manifest = json.loads(project["pdf"].with_name("runbook.pdf.manifest.json").read_text())
    result = runner.invoke(
        runbook_app, ["verify", str(project["pdf"]), "-c", str(project["config"])]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("VALID:") and manifest["version"] in result.stdout
    as_json = runner.invoke(
        runbook_app,
        ["verify", str(project["pdf"]), "--format", "json", "-c", str(project["config"])],
    )
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 0 and data["ok"] and data["trust"] == "configured"


def _flip(pdf: Path) -> None:
    data = bytearray(pdf.read_bytes())
    data[data.index(b"stream", 2000) + 40] ^= 1
    pdf.write_bytes(bytes(data))


def _truncate(pdf: Path) -> None:
    data = pdf.read_bytes()
    pdf.write_bytes(data[: len(data) - 300])


def _append_update(pdf: Path) -> None:
    from pyhanko.pdf_utils.generic import NameObject, NumberObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with pdf.open("r+b") as handle:
        writer = IncrementalPdfFileWriter(handle)
        ref, _ = writer.find_page_for_modification(0)
        page = ref.get_object()
        page[NameObject("/Rotate")] = NumberObject(180)
        writer.update_container(page)
        writer.write_in_place()


def _drop_manifest(pdf: Path) -> None:
    pdf.with_name(pdf.name + ".manifest.json").unlink()


def _garble_manifest(pdf: Path) -> None:
    pdf.with_name(pdf.name + ".manifest.json").write_text("[1, 2")


def _not_pdf(pdf: Path) -> None:
    pdf.write_bytes(b"PK\x03\x04 this is a zip")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_flip, "altered after signing (digest mismatch)"),
        (_append_update, "appended after the signed revision"),
        (_truncate, "is truncated"),
        (_drop_manifest, "manifest.json is missing"),
        (_garble_manifest, "is not valid JSON"),
        (_not_pdf, "is not a PDF file"),
    ],
)
def test_damage_fails_verification_with_its_reason(
    project: dict[str, Path], runner: CliRunner, damage: Callable[[Path], None], message: str
) -> None:
    """Each kind of damage exits 5 and prints its own reason on stderr."""
    damage(project["pdf"])
    result = runner.invoke(
        runbook_app, ["verify", str(project["pdf"]), "-c", str(project["config"])]
    )
    assert result.exit_code == 5
    assert message in result.stderr
    assert result.stdout.startswith("INVALID")


def test_other_key_fails(project: dict[str, Path], runner: CliRunner, tmp_path: Path) -> None:
    """A certificate other than the signer's makes verify exit 5 with 'signed by another key'."""
    other = make_settings(tmp_path / "other")
    init_keys(other, PASSPHRASE)
    cert = other.resolve(other.signing.certificate_path)
    result = runner.invoke(runbook_app, ["verify", str(project["pdf"]), "--cert", str(cert)])
    assert result.exit_code == 5 and "signed by another key" in result.stderr


def test_expired_certificate_fails(tmp_path: Path, runner: CliRunner) -> None:
    """A runbook signed after its certificate expired exits 5 with 'expired'."""
    config = write_config(tmp_path)
    settings = make_settings(tmp_path)
    made = datetime.now(UTC) - timedelta(days=10)
    init_keys(settings, PASSPHRASE, now=made, validity=timedelta(days=2))
    build_runbook(
        settings,
        tmp_path / "old.pdf",
        passphrase=PASSPHRASE,
        snapshot=make_snapshot(),
        issued_at=made + timedelta(hours=1),
    )
    result = runner.invoke(runbook_app, ["verify", str(tmp_path / "old.pdf"), "-c", str(config)])
    assert result.exit_code == 5 and "expired" in result.stderr


def test_wrong_passphrase_exits_2_without_echo(
    project: dict[str, Path], runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong passphrase makes build exit 2 naming the key file, not the passphrase."""
    monkeypatch.setenv("BREAKGLASS_SIGNING_PASSPHRASE", "definitely-wrong-123")
    result = runner.invoke(
        runbook_app,
        [
            "build",
            "-c",
            str(project["config"]),
            "-o",
            str(project["folder"] / "x.pdf"),
            "--snapshot-file",
            str(project["snapshot"]),
        ],
    )
    assert result.exit_code == 2
    assert "wrong passphrase for" in result.stderr and "definitely-wrong" not in result.output


def test_config_error_exits_2(tmp_path: Path, runner: CliRunner) -> None:
    """A broken configuration exits 2 with the field named on stderr."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[tenant]\nid = "not-a-guid"\n[credential]\nkind = "azure_cli"\n')
    for app, args in (
        (runbook_app, ["build", "-o", str(tmp_path / "x.pdf")]),
        (keys_app, ["init"]),
    ):
        result = app and runner.invoke(app, [*args, "--config", str(bad)])
        assert result.exit_code == 2 and "tenant.id" in result.stderr


def test_verify_qr_cli(project: dict[str, Path], runner: CliRunner) -> None:
    """verify-qr exits 0 for a genuine payload (even typed with spaces), 5 for an edited one."""
    manifest = json.loads(project["pdf"].with_name("runbook.pdf.manifest.json").read_text())
    settings = make_settings(project["folder"])
    signer = load_signer(settings, PASSPHRASE)
    payload = qr_payload(
        signer, manifest["doc_id"], manifest["version"], manifest["content_sha256"]
    )
    spaced = " ".join(payload[i : i + 48] for i in range(0, len(payload), 48))
    good = runner.invoke(runbook_app, ["verify-qr", spaced, "-c", str(project["config"])])
    assert good.exit_code == 0 and "issued by the expected signer" in good.stdout
    edited = payload.replace(manifest["content_sha256"][:4], "0000", 1)
    bad = runner.invoke(runbook_app, ["verify-qr", edited, "-c", str(project["config"])])
    assert bad.exit_code == 5 and "signature does not match" in bad.stderr
    none = runner.invoke(runbook_app, ["verify-qr", payload])
    assert none.exit_code == 2 and "give --config or --cert" in none.stderr


@pytest.fixture
def no_config_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with no breakglass.toml, and no $BREAKGLASS_CONFIG."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("BREAKGLASS_CONFIG", raising=False)
    return folder


def test_forged_runbook_is_refused_without_config(
    project: dict[str, Path], runner: CliRunner, no_config_here: Path
) -> None:
    """A runbook signed by another key with its own manifest is never VALID: without a
    certificate verify refuses (exit 2); with the config it fails (exit 5)."""
    forged = forge_runbook(no_config_here / "forger")
    for args in ([], ["--format", "json"]):
        result = runner.invoke(runbook_app, ["verify", str(forged), *args])
        assert result.exit_code == 2, result.output
        assert "give --config or --cert" in result.stderr and "VALID" not in result.stdout
    checked = runner.invoke(runbook_app, ["verify", str(forged), "-c", str(project["config"])])
    assert checked.exit_code == 5 and "signed by another key" in checked.stderr


def test_verify_finds_the_config_like_every_command(
    project: dict[str, Path], runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --config, verify uses ./breakglass.toml or $BREAKGLASS_CONFIG as its anchor."""
    forged = forge_runbook(project["folder"] / "forger")
    monkeypatch.delenv("BREAKGLASS_CONFIG", raising=False)
    monkeypatch.chdir(project["folder"])  # holds breakglass.toml
    assert runner.invoke(runbook_app, ["verify", str(project["pdf"])]).exit_code == 0
    assert runner.invoke(runbook_app, ["verify", str(forged)]).exit_code == 5
    monkeypatch.chdir(forged.parent.parent.parent)
    monkeypatch.setenv("BREAKGLASS_CONFIG", str(project["config"]))
    assert runner.invoke(runbook_app, ["verify", str(forged)]).exit_code == 5


def test_bytes_after_the_end_marker_are_named(project: dict[str, Path], runner: CliRunner) -> None:
    """Bytes appended after the last %%EOF are named as such, not as truncation or an update."""
    with project["pdf"].open("ab") as handle:
        handle.write(b"<script>trailing junk</script>\n")
    result = runner.invoke(
        runbook_app, ["verify", str(project["pdf"]), "-c", str(project["config"])]
    )
    assert result.exit_code == 5
    assert "31 bytes were appended after the last end-of-file marker (%%EOF)" in result.stderr
    assert "truncated" not in result.stderr and "incremental update" not in result.stderr


@pytest.mark.parametrize(
    ("extra", "objects"),
    [
        (b"/Deep 900 0 R", [(900, b"[" * 100_000 + b"]" * 100_000)]),
        (b"/Deep 900 0 R", [(900, b"<< /A " * 20_000 + b">>" * 20_000)]),
        (b"/Loop 900 0 R", [(900, b"<< /Next 901 0 R >>"), (901, b"<< /Next 900 0 R >>")]),
        (b"/Loop 900 0 R", [(900, b"901 0 R"), (901, b"900 0 R")]),
    ],
    ids=["nested-arrays", "nested-dicts", "dict-loop", "reference-loop"],
)
def test_hostile_object_graphs_fail_without_a_traceback(
    project: dict[str, Path], runner: CliRunner, extra: bytes, objects: list[tuple[int, bytes]]
) -> None:
    """Deeply nested or looping objects exit 5 with a reason, never a RecursionError."""
    project["pdf"].write_bytes(with_update(project["pdf"].read_bytes(), extra, objects))
    result = runner.invoke(
        runbook_app, ["verify", str(project["pdf"]), "-c", str(project["config"])]
    )
    assert result.exit_code == 5, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout.startswith("INVALID") and "Traceback" not in result.output
    if b"[[[[" in objects[0][1]:
        assert "damaged" in result.stderr and "nested too deeply" in result.stderr


def test_live_facts_unavailable(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Graph unreachable, build warns and prints 'not verified'; --require-live exits 4."""
    monkeypatch.setenv("BREAKGLASS_CREDENTIAL__TOKEN", "eyJ0eXAi.not-a-real.token")
    config = write_config(
        tmp_path,
        tenant={
            "id": "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
            "name": "Contoso Ltd",
            "graph_url": "http://127.0.0.1:9",
        },
        credential={"kind": "static_token"},
    )
    init_keys(make_settings(tmp_path), PASSPHRASE)
    strict = runner.invoke(
        runbook_app, ["build", "-c", str(config), "-o", str(tmp_path / "s.pdf"), "--require-live"]
    )
    assert strict.exit_code == 4, strict.output
    assert "live tenant facts required" in strict.stderr
    assert not (tmp_path / "s.pdf").exists()
    lenient = runner.invoke(
        runbook_app, ["build", "-c", str(config), "-o", str(tmp_path / "l.pdf")]
    )
    assert lenient.exit_code == 0, lenient.output
    assert "WARNING" in lenient.stderr
    assert json.loads(lenient.stdout[lenient.stdout.index("{") :])["doc_id"]


def _build(runner: CliRunner, folder: Path, store_url: str) -> tuple[int, str, str]:
    config = write_config(folder, store={"url": store_url})
    init_keys(make_settings(folder), PASSPHRASE)
    snapshot = folder / "snapshot.json"
    snapshot.write_text(json.dumps(_plain(make_snapshot())))
    result = runner.invoke(
        runbook_app,
        ["build", "-c", str(config), "-o", str(folder / "r.pdf"), "--snapshot-file", str(snapshot)],
    )
    return result.exit_code, result.stdout, result.stderr


def test_build_records_the_release_in_the_store(
    tmp_path: Path, db_url: str, runner: CliRunner
) -> None:
    """`runbook build` records the release it printed in the configured, migrated store."""
    code, stdout, stderr = _build(runner, tmp_path, db_url)
    assert code == 0, stderr
    assert "not recorded" not in stderr
    printed = json.loads(stdout)
    with Store.open(db_url) as store, store.session() as session:
        stored = latest_release(session=session, tenant_id=TENANT)
    assert stored is not None
    assert stored.to_json_dict() == printed


def test_build_without_a_database_warns_and_creates_none(tmp_path: Path, runner: CliRunner) -> None:
    """With no database yet the runbook is still built; a warning says BG-041 cannot see it."""
    absent = tmp_path / "absent.db"
    code, stdout, stderr = _build(runner, tmp_path, f"sqlite:///{absent}")
    assert code == 0, stderr
    assert json.loads(stdout)["doc_id"]
    assert "WARNING: the release was not recorded" in stderr and "BG-041" in stderr
    assert not absent.exists()


def test_build_with_an_unmigrated_database_warns(tmp_path: Path, runner: CliRunner) -> None:
    """A database that is not migrated is not written to; the warning names the upgrade."""
    empty = tmp_path / "empty.db"
    empty.touch()
    code, _, stderr = _build(runner, tmp_path, f"sqlite:///{empty}")
    assert code == 0, stderr
    assert "not recorded in the store" in stderr and "breakglass db upgrade" in stderr


def test_verify_with_a_config_imports_no_msgraph(project: dict[str, Path]) -> None:
    """`runbook verify -c CONFIG` in a fresh process loads the config but never msgraph."""
    import subprocess
    import sys

    code = (
        "import sys; from typer.testing import CliRunner;"
        "from breakglass.cli.runbook import runbook_app;"
        f"r = CliRunner().invoke(runbook_app, ['verify', {str(project['pdf'])!r}, "
        f"'-c', {str(project['config'])!r}]);"
        "print(r.exit_code, any(m.split('.')[0] in ('msgraph', 'msgraph_core') "
        "for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "False"]
