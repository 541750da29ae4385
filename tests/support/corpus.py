"""The bad-input corpus (issue 11, item 3): malformed configs, mutated Graph payloads.

``MALFORMED_CONFIGS`` are configuration files each broken in one way, with the words the
refusal must contain; ``CONFIG_COMMANDS`` are the commands that read one. The Graph half
(``payload_mutations``) derives damaged resources from Microsoft's docs examples
(tests/support/docs_examples.py) for the simulator to serve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CONFIG_COMMANDS",
    "CONFIG_SECRET",
    "MALFORMED_CONFIGS",
    "BadConfig",
    "base_config",
    "write_bytes_config",
]

TENANT = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"
CLIENT = "0c7a1f51-2d3e-4b5a-9c8d-1e2f3a4b5c6d"
BG1 = "11111111-aaaa-4aaa-8aaa-000000000001"
#: Looks like an Entra client secret; no error may ever print it.
CONFIG_SECRET = "Zq8Q~c0rpusSecretValue0123456789abcdefXYZ"

_BASE = f"""[tenant]
id = "{TENANT}"

[credential]
kind = "azure_cli"

[store]
url = "sqlite:///store.db"

[[accounts]]
upn = "bg1@contoso.onmicrosoft.com"
object_id = "{BG1}"
"""

#: Every command that reads the configuration, with the arguments it needs besides -c
#: (run in a folder holding ``doc.pdf``). A valid config would make ``serve`` serve, so
#: only broken ones go through this list.
CONFIG_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("check", "--no-store"),
    ("watch", "--once"),
    ("serve",),
    ("permissions",),
    ("db", "upgrade"),
    ("audit", "verify"),
    ("audit", "checkpoint"),
    ("runbook", "build", "--out", "out.pdf"),
    ("runbook", "verify", "doc.pdf"),
    ("keys", "init"),
    ("reviews", "list"),
    ("reviews", "verify-report", "doc.pdf"),
    ("tokens", "list"),
    ("notify", "dispatch"),
)


def base_config(folder: Path) -> Path:
    """A valid configuration (offline credential, SQLite store) at ``folder/ok.toml``."""
    path = folder / "ok.toml"
    path.write_text(_BASE, encoding="utf-8")
    path.chmod(0o600)
    return path


def write_bytes_config(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


@dataclass(frozen=True)
class BadConfig:
    """One way a configuration file is broken, and what its refusal must say.

    ``needle`` may hold ``{path}`` for the file's path. ``text`` is the whole file (a
    ``str`` is written as UTF-8); ``edit`` replaces ``old`` with ``new`` in the valid base.
    """

    name: str
    needle: str
    text: str | bytes | None = None
    old: str | None = None
    new: str = ""

    def write(self, folder: Path) -> Path:
        if self.text is not None:
            data = self.text if isinstance(self.text, bytes) else self.text.encode("utf-8")
        else:
            assert self.old is not None and self.old in _BASE, self.name
            data = _BASE.replace(self.old, self.new, 1).encode("utf-8")
        return write_bytes_config(folder / f"{self.name}.toml", data)


def _after(section: str, line: str, name: str, needle: str) -> BadConfig:
    """The base with ``line`` added at the end of ``[section]``."""
    header = f"[{section}]\n"
    if header in _BASE:
        return BadConfig(name, needle, old=header, new=f"{header}{line}\n")
    return BadConfig(name, needle, text=f"{_BASE}\n[{section}]\n{line}\n")


_KIND = 'kind = "azure_cli"'
_SECRET_CREDENTIAL = f'kind = "client_secret"\nclient_id = "{CLIENT}"\n'

MALFORMED_CONFIGS: tuple[BadConfig, ...] = (
    # TOML syntax
    BadConfig(
        "unterminated-string", "{path} is not valid TOML", old=_KIND, new='kind = "azure_cli'
    ),
    BadConfig("table-declared-twice", "is not valid TOML", text=_BASE + '[tenant]\nid = "x"\n'),
    BadConfig(
        "key-without-value", "is not valid TOML: Invalid value (at line 5", old=_KIND, new="kind ="
    ),
    BadConfig("nul-byte", "is not valid TOML", text=_BASE + "\x00\n"),
    BadConfig("lone-bracket", "is not valid TOML", text="[tenant\n" + _BASE),
    BadConfig(
        "nested-50000-deep",
        "nests arrays or tables too deeply",
        text=_BASE + "x = " + "[" * 50_000 + "]" * 50_000 + "\n",
    ),
    BadConfig(
        "two-mib-of-comments",
        "is larger than 1 MiB",
        text=_BASE + "# padding\n" * 200_000,
    ),
    # bytes that are not UTF-8 text
    BadConfig(
        "latin-1-byte",
        "{path} is not UTF-8 text: byte 0xf8 on line 11",
        text=_BASE.encode().replace(b"contoso", b"contos\xf8"),
    ),
    BadConfig("utf-16", "is not UTF-8 text: byte 0xff on line 1", text=_BASE.encode("utf-16")),
    # empty
    BadConfig("empty-file", "tenant: is required", text=""),
    BadConfig("only-whitespace", "tenant: is required", text="\n  \n\t\n"),
    BadConfig("only-comments", "tenant: is required", text="# breakglass\n# todo\n"),
    # wrong types
    BadConfig(
        "section-as-string", "thresholds: Input should be", text='thresholds = "x"\n' + _BASE
    ),
    BadConfig(
        "list-as-string",
        "exclusion_groups: Input should be a valid list",
        text='exclusion_groups = "abc"\n' + _BASE,
    ),
    BadConfig(
        "number-for-string",
        "credential.client_id: Input should be a valid string",
        old=_KIND,
        new=f"{_KIND}\nclient_id = 12",
    ),
    BadConfig(
        "string-for-bool",
        "watch.non_interactive: Input should be a valid boolean",
        text=_BASE + '[watch]\nnon_interactive = "perhaps"\n',
    ),
    BadConfig(
        "accounts-as-table",
        "accounts: Input should be a valid list",
        text="accounts = { upn = 'x' }\n" + _BASE.split("[[accounts]]")[0],
    ),
    BadConfig(
        "date-not-a-date",
        "accepted_risks.0.expires",
        text=_BASE + '[[accepted_risks]]\ncheck_id = "BG-001"\nresource_id = "x"\n'
        'reason = "r"\nowner = "o"\nexpires = "someday"\n',
    ),
    # unknown keys
    _after("store", "pool_size = 5", "unknown-key", "store.pool_size: unknown setting"),
    BadConfig(
        "unknown-section", "telemetry: unknown setting", text=_BASE + "[telemetry]\non = 1\n"
    ),
    BadConfig(
        "misspelt-key", "accounts.0.objectid: unknown setting", old="object_id =", new="objectid ="
    ),
    BadConfig(
        "config-path-key", "config_path: is not a setting", text='config_path = "/etc/x"\n' + _BASE
    ),
    # missing required fields
    BadConfig("no-tenant", "tenant: is required", old=f'[tenant]\nid = "{TENANT}"\n'),
    BadConfig("no-tenant-id", "tenant.id: is required", old=f'id = "{TENANT}"', new='name = "x"'),
    BadConfig(
        "no-credential-kind",
        "credential.kind: is required",
        old=_KIND,
        new=f'client_id = "{CLIENT}"',
    ),
    BadConfig(
        "no-account-upn", "accounts.0.upn: is required", old='upn = "bg1@contoso.onmicrosoft.com"\n'
    ),
    BadConfig(
        "secret-kind-without-secret", "needs 'client_secret'", old=_KIND, new=_SECRET_CREDENTIAL
    ),
    # bad enum values
    BadConfig(
        "credential-kind",
        "credential.kind: Input should be 'certificate'",
        old=_KIND,
        new='kind = "password"',
    ),
    BadConfig(
        "cloud",
        "tenant.cloud: Input should be 'global'",
        old=f'id = "{TENANT}"',
        new=f'id = "{TENANT}"\ncloud = "mars"',
    ),
    BadConfig(
        "channel-kind",
        "notifications.channels.0.kind: Input should be 'smtp'",
        text=_BASE + '[[notifications.channels]]\nname = "soc"\nkind = "pager"\n',
    ),
    BadConfig(
        "role-map-role",
        "auth.role_map.X: Input should be 'viewer'",
        text=_BASE + '[auth.role_map]\nX = "root"\n',
    ),
    # bad URLs
    BadConfig(
        "graph-url-scheme",
        "tenant.graph_url: must be an http(s) URL",
        old=f'id = "{TENANT}"',
        new=f'id = "{TENANT}"\ngraph_url = "ftp://graph.local"',
    ),
    BadConfig(
        "graph-url-version",
        "tenant.graph_url: give the host only",
        old=f'id = "{TENANT}"',
        new=f'id = "{TENANT}"\ngraph_url = "https://graph.microsoft.com/v1.0"',
    ),
    BadConfig(
        "authority-http",
        "credential.authority: must be an https URL",
        old=_KIND,
        new=f'{_KIND}\nauthority = "http://login.microsoftonline.com"',
    ),
    BadConfig(
        "public-url",
        "service.public_url: must be an http(s) URL",
        text=_BASE + '[service]\npublic_url = "breakglass dot contoso"\n',
    ),
    BadConfig(
        "webhook-url",
        "url must be an http(s) URL",
        text=_BASE + '[[notifications.channels]]\nname = "soc"\nkind = "slack"\n'
        'url = "hooks.slack.com/services/T0"\n',
    ),
    # numbers out of range (and not numbers at all)
    BadConfig(
        "poll-zero",
        "watch.poll_seconds: Input should be greater than or equal to 1",
        text=_BASE + "[watch]\npoll_seconds = 0\n",
    ),
    BadConfig(
        "port-too-high",
        "service.port: Input should be less than or equal to 65535",
        text=_BASE + "[service]\nport = 70000\n",
    ),
    BadConfig(
        "page-size",
        "graph.page_size: Input should be less than or equal to 999",
        text=_BASE + "[graph]\npage_size = 5000\n",
    ),
    BadConfig(
        "negative-days",
        "thresholds.validation_days: Input should be greater",
        text=_BASE + "[thresholds]\nvalidation_days = -1\n",
    ),
    BadConfig(
        "int-beyond-64-bits",
        "thresholds.validation_days: Input should be less",
        text=_BASE + "[thresholds]\nvalidation_days = 99999999999999999999\n",
    ),
    BadConfig(
        "nan",
        "graph.timeout_seconds: Input should be",
        text=_BASE + "[graph]\ntimeout_seconds = nan\n",
    ),
    BadConfig(
        "infinite-gap",
        "thresholds.session_gap_hours: Input should be a finite number",
        text=_BASE + "[thresholds]\nsession_gap_hours = inf\n",
    ),
    BadConfig(
        "gap-overflows-a-date",
        "thresholds.session_gap_hours: Input should be less",
        text=_BASE + "[thresholds]\nsession_gap_hours = 1e300\n",
    ),
    BadConfig(
        "runbook-valid-forever",
        "thresholds.runbook_valid_days: Input should be less",
        text=_BASE + "[thresholds]\nrunbook_valid_days = 100000000000\n",
    ),
    BadConfig(
        "check-every-century",
        "service.check_minutes: Input should be less",
        text=_BASE + "[service]\ncheck_minutes = 1e12\n",
    ),
    BadConfig(
        "ga-min-over-max",
        "thresholds.ga_min is larger than thresholds.ga_max",
        text=_BASE + "[thresholds]\nga_min = 9\nga_max = 3\n",
    ),
    BadConfig(
        "bad-guid",
        "tenant.id: String should have at least 36 characters",
        old=f'id = "{TENANT}"',
        new='id = "contoso"',
    ),
    # a secret in a field of the wrong type or kind: named, never printed
    BadConfig(
        "secret-in-client-id",
        "credential.client_id: is not a GUID",
        old=_KIND,
        new=f'{_KIND}\nclient_id = "{CONFIG_SECRET}"',
    ),
    BadConfig(
        "secret-in-tenant-id",
        "tenant.id: is not a GUID",
        old=f'id = "{TENANT}"',
        new=f'id = "{CONFIG_SECRET[:36]}"',
    ),
    BadConfig(
        "secret-as-list",
        "credential.client_secret: Input should be a valid string",
        old=_KIND,
        new=f'{_SECRET_CREDENTIAL}client_secret = ["{CONFIG_SECRET}"]',
    ),
    BadConfig(
        "secret-as-table",
        "credential.client_secret: Input should be a valid string",
        old=_KIND,
        new=f'{_SECRET_CREDENTIAL}client_secret = {{ v = "{CONFIG_SECRET}" }}',
    ),
    BadConfig(
        "secret-in-upn",
        "accounts.0.upn",
        old='upn = "bg1@contoso.onmicrosoft.com"',
        new=f'upn = "{CONFIG_SECRET}"',
    ),
    BadConfig(
        "secret-in-graph-url",
        "tenant.graph_url",
        old=f'id = "{TENANT}"',
        new=f'id = "{TENANT}"\ngraph_url = "{CONFIG_SECRET}"',
    ),
    BadConfig("secret-in-kind", "credential.kind", old=_KIND, new=f'kind = "{CONFIG_SECRET}"'),
    BadConfig(
        "secret-in-port",
        "service.port: Input should be a valid integer",
        text=_BASE + f'[service]\nport = "{CONFIG_SECRET}"\n',
    ),
    BadConfig(
        "secret-in-timezone",
        "notifications.timezone: is not an IANA time zone",
        text=_BASE + f'[notifications]\ntimezone = "{CONFIG_SECRET}"\n',
    ),
    BadConfig(
        "webhook-in-channel-name",
        "notifications.channels.0.name",
        text=_BASE + "[[notifications.channels]]\n"
        f'name = "https://hooks.slack.com/services/T0/B0/{CONFIG_SECRET}"\nkind = "slack"\n',
    ),
    BadConfig(
        "secret-in-unknown-key",
        "credential.clientsecret: unknown setting",
        old=_KIND,
        new=f'{_KIND}\nclientsecret = "{CONFIG_SECRET}"',
    ),
    BadConfig(
        "secret-in-broken-toml",
        "is not valid TOML",
        old=_KIND,
        new=f'{_SECRET_CREDENTIAL}client_secret = "{CONFIG_SECRET}',
    ),
    BadConfig(
        "short-session-secret",
        "service.session_secret: must be at least 32",
        text=_BASE + '[service]\nsession_secret = "Zq8Q~short"\n',
    ),
)


def zlib_bomb(gib: int) -> bytes:
    """A valid zlib stream of ``gib`` GiB of zero bytes, about 1 MiB per GiB, made in
    milliseconds: after a full flush every MiB of zeros compresses to the same bytes."""
    import zlib

    compressor = zlib.compressobj(9)
    mib = bytes(1 << 20)
    head = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = compressor.compress(mib) + compressor.flush(zlib.Z_FULL_FLUSH)
    total = gib << 30
    adler = ((total % 65521) << 16) | 1  # Adler-32 of zero bytes
    return head + body * ((gib << 10) - 1) + b"\x03\x00" + adler.to_bytes(4, "big")


def flate_stream(data: bytes, extra: bytes = b"") -> bytes:
    """A PDF stream object body holding ``data`` (already deflated) with ``extra`` keys."""
    return (
        b"<< %s /Length %d /Filter /FlateDecode >>\nstream\n" % (extra, len(data))
        + data
        + b"\nendstream"
    )


def with_xref_stream_update(
    pdf: bytes,
    catalog_extra: bytes,
    objects: dict[int, bytes],
    compressed: dict[int, tuple[int, int]],
) -> bytes:
    """``pdf`` plus an incremental update whose cross-reference is a stream, so objects can
    live in an object stream: ``compressed`` maps object number → (stream object, index)."""
    from tests.support.runbook import update_body

    u = update_body(pdf, catalog_extra, list(objects.items()))
    body, offsets = u.body, u.offsets
    xref_number = max([u.size, *offsets, *compressed]) + 1
    offsets[xref_number] = len(pdf) + len(body)
    entries = {n: (1, at, 0) for n, at in offsets.items()}
    entries.update({n: (2, stream, index) for n, (stream, index) in compressed.items()})
    index, rows = [], b""
    for number in sorted(entries):
        kind, field2, field3 = entries[number]
        index += [number, 1]
        rows += bytes([kind]) + field2.to_bytes(4, "big") + field3.to_bytes(2, "big")
    xref = (
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Index [%s] /Root %d 0 R /Prev %d "
        b"/Length %d >>\nstream\n"
        % (
            xref_number,
            xref_number + 1,
            " ".join(map(str, index)).encode(),
            u.root,
            u.prev,
            len(rows),
        )
        + rows
        + b"\nendstream\nendobj\n"
    )
    return pdf + body + xref + b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]


def replace_first_page_contents(pdf: bytes, contents: bytes) -> bytes:
    """``pdf`` plus an incremental update giving its first page new ``contents`` (a stream
    object body): what someone changing the printed text after signing would append."""
    import re

    from tests.support.runbook import with_update

    found = re.search(rb"(\d+) 0 obj\s*(<<\s*/Contents (\d+) 0 R.*?/Type /Page\s*>>)", pdf, re.S)
    assert found, "no page object with /Contents first"
    page = found.group(2).replace(b"/Contents %s 0 R" % found.group(3), b"/Contents 990 0 R")
    return with_update(pdf, b"", [(int(found.group(1)), page), (990, contents)])


def run_measured(*argv: str, cwd: Path | None = None) -> tuple[int, str, str, int]:
    """``breakglass ARGV…`` in a fresh process: exit code, stdout, stderr, peak RSS (MiB)."""
    import subprocess
    import sys

    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent (pytest).
    script = (
        "import re, sys\n"
        f"sys.argv = ['breakglass', *{list(argv)!r}]\n"
        "import breakglass.cli as cli\n"
        "try:\n"
        "    cli.main()\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) // 1024\n"
        "    sys.stderr.write(f'\\n@peak-rss-mib {peak}\\n')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    stderr, _, peak = done.stderr.rpartition("@peak-rss-mib ")
    return done.returncode, done.stdout, stderr.strip(), int(peak or 0)
