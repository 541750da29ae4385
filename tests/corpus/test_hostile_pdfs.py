"""Hostile PDFs for both verify commands (issue 11, item 3).

``breakglass runbook verify`` and ``breakglass reviews verify-report`` share one verifier;
each hostile file goes through both real commands: compression bombs (a stream, an object
stream and a cross-reference stream inflating to GiB), revisions appended after the
signature that change the page, truncation, a non-PDF, an empty file, a huge file, a long
run of NUL bytes where the reader looks for the end, a signer other than the configured
certificate, hostile manifests; and for the review report the nesting and loops that
tests/runbook/test_commands.py proves for runbooks. Every one is exit 5, ``INVALID`` on
stdout and a one-line reason, no traceback. The files that could exhaust memory run as a
real process whose peak resident memory is measured.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from breakglass.exitcodes import ExitCode
from tests.support.cli import run_main
from tests.support.corpus import (
    flate_stream,
    replace_first_page_contents,
    run_measured,
    with_xref_stream_update,
    zlib_bomb,
)
from tests.support.runbook import (
    PASSPHRASE,
    forge_report,
    make_settings,
    make_snapshot,
    with_update,
    write_config,
)

#: Peak resident memory a verification may reach on any input (a plain verify needs ~60 MiB,
#: pyHanko's own 64 MiB limit on one decoded stream accounts for the rest).
PEAK_RSS_MIB = 300


@dataclass(frozen=True)
class Signed:
    """A genuine signed document, its manifest and the config holding its certificate."""

    command: tuple[str, ...]
    pdf: Path
    config: Path

    @property
    def manifest(self) -> Path:
        return self.pdf.with_name(self.pdf.name + ".manifest.json")

    def variant(self, folder: Path, data: bytes | None, name: str = "doc.pdf") -> Path:
        """A copy named ``name`` in ``folder`` holding ``data`` (None: unchanged), with the
        genuine manifest beside it."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_bytes(self.pdf.read_bytes() if data is None else data)
        shutil.copyfile(self.manifest, path.with_name(name + ".manifest.json"))
        return path


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Signed]:
    """A runbook (key A) and a review report (key B), each with a config naming its key."""
    from breakglass.runbook import build_runbook
    from breakglass.signing import init_keys

    a = tmp_path_factory.mktemp("runbook")
    settings = make_settings(a)
    init_keys(settings, PASSPHRASE)
    build_runbook(settings, a / "runbook.pdf", passphrase=PASSPHRASE, snapshot=make_snapshot())
    b = tmp_path_factory.mktemp("report")
    report = forge_report(b, "report.pdf")  # signed by b's own key: genuine for b's config
    return {
        "runbook": Signed(("runbook", "verify"), a / "runbook.pdf", write_config(a)),
        "report": Signed(("reviews", "verify-report"), report, write_config(b)),
    }


def _invalid(code: int, stdout: str, stderr: str, *needles: str) -> None:
    assert "Traceback" not in stderr, stderr[-2000:]
    assert code == ExitCode.VERIFICATION_FAILED, (code, stdout, stderr[-2000:])
    assert stdout.startswith("INVALID: "), stdout
    errors = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) >= 1, stderr
    assert all(len(line) < 400 for line in errors), errors
    for needle in needles:
        assert any(needle in line for line in errors), (needle, errors)


def _page_text(text: bytes) -> bytes:
    import zlib

    return flate_stream(zlib.compress(b"BT /F1 24 Tf 72 700 Td (%s) Tj ET" % text))


def _bomb_object(pdf: bytes) -> bytes:
    return with_update(pdf, b"/Bomb 900 0 R", [(900, flate_stream(zlib_bomb(2)))])


def _bomb_object_stream(pdf: bytes) -> bytes:
    stream = flate_stream(zlib_bomb(2), b"/Type /ObjStm /N 1 /First 6")
    return with_xref_stream_update(pdf, b"/Bomb 901 0 R", {900: stream}, {901: (900, 0)})


def _bomb_xref_stream(pdf: bytes) -> bytes:
    size = max(int(n) for n in re.findall(rb"/Size (\d+)", pdf))
    prev = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    root = int(re.findall(rb"/Root (\d+) 0 R", pdf)[-1])
    xref = flate_stream(
        zlib_bomb(2),
        b"/Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Prev %d" % (size + 1, root, prev),
    )
    return pdf + b"\n%d 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n" % (size, xref, len(pdf) + 1)


def _bomb_page(pdf: bytes) -> bytes:
    return replace_first_page_contents(pdf, flate_stream(zlib_bomb(2)))


def _nul_run(pdf: bytes) -> bytes:
    """16 MiB of NUL bytes (PDF white-space) before the end: no line break to stop at."""
    return pdf + bytes(16 << 20) + b"\n%%EOF\n"


#: Files that could exhaust memory: (make the file, words of the reason).
HEAVY: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "bomb in an appended stream": (_bomb_object, "appended after the signed revision"),
    "bomb in an object stream": (_bomb_object_stream, "damaged"),
    "bomb in a cross-reference stream": (_bomb_xref_stream, "damaged"),
    "bomb as the page's new contents": (_bomb_page, "appended after the signed revision"),
    "16 MiB of NUL bytes at the end": (_nul_run, "no startxref in the 1024 bytes"),
}


@pytest.mark.parametrize("doc", ["runbook", "report"])
@pytest.mark.parametrize("name", list(HEAVY))
def test_memory_stays_bounded(
    documents: dict[str, Signed], doc: str, name: str, tmp_path: Path
) -> None:
    """Compression bombs of 2 GiB and a long NUL run: exit 5 with a reason, in a real process
    whose peak resident memory stays under PEAK_RSS_MIB."""
    signed = documents[doc]
    make, needle = HEAVY[name]
    path = signed.variant(tmp_path, make(signed.pdf.read_bytes()))
    code, out, err, peak = run_measured(*signed.command, str(path), "-c", str(signed.config))
    _invalid(code, out, err, needle)
    assert 0 < peak < PEAK_RSS_MIB, f"peak resident memory {peak} MiB"


def test_a_huge_file_is_not_read(documents: dict[str, Signed], tmp_path: Path) -> None:
    """A 4 GiB file (sparse: it costs no disk) is refused by its size, before it is read."""
    for doc in ("runbook", "report"):
        signed = documents[doc]
        path = signed.variant(tmp_path / doc, None)
        with path.open("r+b") as handle:
            handle.truncate(4 << 30)
        code, out, err, peak = run_measured(*signed.command, str(path), "-c", str(signed.config))
        _invalid(code, out, err, "more than the 32 MiB")
        assert 0 < peak < PEAK_RSS_MIB, f"peak resident memory {peak} MiB"


def _incremental_text(pdf: bytes) -> bytes:
    return replace_first_page_contents(pdf, _page_text(b"Call +1 555 0100 instead"))


def _two_revisions(pdf: bytes) -> bytes:
    once = replace_first_page_contents(pdf, _page_text(b"first change"))
    return replace_first_page_contents(once, _page_text(b"second change"))


def _deep_arrays(pdf: bytes) -> bytes:
    return with_update(pdf, b"/Deep 900 0 R", [(900, b"[" * 100_000 + b"]" * 100_000)])


def _deep_dicts(pdf: bytes) -> bytes:
    return with_update(pdf, b"/Deep 900 0 R", [(900, b"<< /A " * 20_000 + b">>" * 20_000)])


def _dict_loop(pdf: bytes) -> bytes:
    return with_update(
        pdf, b"/Loop 900 0 R", [(900, b"<< /Next 901 0 R >>"), (901, b"<< /Next 900 0 R >>")]
    )


def _reference_loop(pdf: bytes) -> bytes:
    return with_update(pdf, b"/Loop 900 0 R", [(900, b"901 0 R"), (901, b"900 0 R")])


def _self_parent_page(pdf: bytes) -> bytes:
    """The page tree loops: the first page's parent is the page itself."""
    found = re.search(rb"(\d+) 0 obj\s*(<<\s*/Contents \d+ 0 R.*?/Type /Page\s*>>)", pdf, re.S)
    assert found
    page = re.sub(rb"/Parent \d+ 0 R", b"/Parent %s 0 R" % found.group(1), found.group(2))
    return with_update(pdf, b"", [(int(found.group(1)), page)])


def _signature_cut(pdf: bytes) -> bytes:
    start = int(re.findall(rb"/ByteRange\s*\[\s*\d+\s+(\d+)", pdf)[-1])
    return pdf[: start + 100]


#: In-process cases: (make the file from the genuine bytes, words of the reason, commands).
LIGHT: dict[str, tuple[Callable[[bytes], bytes], str, tuple[str, ...]]] = {
    "page text changed in an appended revision": (
        _incremental_text,
        "appended after the signed revision",
        ("runbook", "report"),
    ),
    "two appended revisions": (
        _two_revisions,
        "appended after the signed revision",
        ("runbook", "report"),
    ),
    "page tree loop in an appended revision": (
        _self_parent_page,
        "",
        ("runbook", "report"),
    ),
    # tests/runbook/test_commands.py covers these four for runbooks
    "nested arrays": (_deep_arrays, "", ("report",)),
    "nested dictionaries": (_deep_dicts, "", ("report",)),
    "dictionary loop": (_dict_loop, "", ("report",)),
    "reference loop": (_reference_loop, "", ("report",)),
    "cut inside the signature": (_signature_cut, "is truncated", ("runbook", "report")),
    "cut to the header": (lambda pdf: pdf[:9], "is truncated", ("runbook", "report")),
    "empty file": (lambda pdf: b"", "is not a PDF file", ("runbook", "report")),
    "PNG image": (
        lambda pdf: b"\x89PNG\r\n\x1a\n" + pdf[:200],
        "is not a PDF",
        ("runbook", "report"),
    ),
    "ZIP archive": (lambda pdf: b"PK\x03\x04" + bytes(60), "is not a PDF", ("runbook", "report")),
    "white-space after the end": (
        lambda pdf: pdf + b" " * 5000,
        "bytes of white-space follow the last end-of-file marker",
        ("runbook", "report"),
    ),
}

_LIGHT_CASES = [(name, doc) for name, (_, _, docs) in LIGHT.items() for doc in docs]


@pytest.mark.parametrize(("name", "doc"), _LIGHT_CASES, ids=[f"{d}-{n}" for n, d in _LIGHT_CASES])
def test_hostile_file_is_invalid_with_a_reason(
    documents: dict[str, Signed], name: str, doc: str, tmp_path: Path
) -> None:
    """Each hostile file: exit 5, INVALID and the reason, never a traceback or exit 1."""
    signed = documents[doc]
    make, needle, _ = LIGHT[name]
    path = signed.variant(tmp_path, make(signed.pdf.read_bytes()))
    result = run_main(*signed.command, str(path), "-c", str(signed.config))
    assert result.escaped is None, repr(result.escaped)
    _invalid(result.code, result.stdout, result.stderr, needle)


def test_the_genuine_documents_verify(documents: dict[str, Signed], tmp_path: Path) -> None:
    """The baseline: both untouched copies are VALID (exit 0) against their own config."""
    for signed in documents.values():
        path = signed.variant(tmp_path / signed.command[0], None)
        result = run_main(*signed.command, str(path), "-c", str(signed.config))
        assert result.code == 0, result.stderr
        assert result.stdout.startswith("VALID: ")


def test_signed_by_a_key_other_than_the_trust_anchor(documents: dict[str, Signed]) -> None:
    """Each document verified against the other one's config (a different certificate):
    exit 5, "signed by another key", although its own manifest matches it."""
    runbook, report = documents["runbook"], documents["report"]
    for signed, anchor in ((runbook, report.config), (report, runbook.config)):
        result = run_main(*signed.command, str(signed.pdf), "-c", str(anchor))
        _invalid(result.code, result.stdout, result.stderr, "signed by another key")


@pytest.mark.parametrize(
    ("manifest", "needle"),
    [
        (b"[" * 30_000 + b"]" * 30_000, "nests too deeply"),
        (b'{"schema": "' + b"x" * 50_000 + b'"}', "has schema 'xxxx"),
        ("extra-fields", "unknown fields 'k0', 'k1', 'k10', 'k100', 'k1000' and 1995 more"),
        (b" " * (1 << 20), "a manifest has a few hundred"),
        (b"\xff\xfe{}", "is not valid JSON"),
        ("folder", "cannot read manifest"),
    ],
    ids=["deep", "huge-schema", "many-fields", "one-mib", "not-utf8", "folder"],
)
def test_hostile_manifest(
    documents: dict[str, Signed], manifest: bytes | str, needle: str, tmp_path: Path
) -> None:
    """A manifest that nests deeply, is huge, has thousands of fields or is a folder: exit 5
    with a short reason (never exit 1), for both commands."""
    for signed in documents.values():
        path = signed.variant(tmp_path / signed.command[0], None)
        beside = path.with_name(path.name + ".manifest.json")
        beside.unlink()
        if manifest == "folder":
            beside.mkdir()
        elif manifest == "extra-fields":
            genuine = json.loads(signed.manifest.read_text(encoding="utf-8"))
            beside.write_text(json.dumps({**genuine, **{f"k{i}": "v" for i in range(2000)}}))
        else:
            assert isinstance(manifest, bytes)
            beside.write_bytes(manifest)
        result = run_main(*signed.command, str(path), "-c", str(signed.config))
        assert result.escaped is None, repr(result.escaped)
        _invalid(result.code, result.stdout, result.stderr, needle)


def test_endless_devices_are_read_only_up_to_a_limit(documents: dict[str, Signed]) -> None:
    """/dev/zero as the PDF or the manifest (exit 5) or the certificate (exit 2): refused
    after a bounded read, never read to the end."""
    zero = "/dev/zero"
    for signed in documents.values():
        pdf = run_main(*signed.command, zero, "-c", str(signed.config))
        _invalid(pdf.code, pdf.stdout, pdf.stderr, "more than the 32 MiB")
        manifest = run_main(
            *signed.command, str(signed.pdf), "--manifest", zero, "-c", str(signed.config)
        )
        _invalid(manifest.code, manifest.stdout, manifest.stderr, "has more than 64 KiB")
        cert = run_main(*signed.command, str(signed.pdf), "--cert", zero)
        assert cert.code == ExitCode.USAGE, cert.stderr
        assert cert.error_lines == ["error: /dev/zero is larger than 1 MiB: not a certificate"]
