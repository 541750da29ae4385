"""No secret in an error, a page, an API answer, a built file or a database column.

The service of ``loaded`` has every kind of secret configured — the Graph reader's client
secret, the console's client secret, the runbook key passphrase, webhook, Teams and Slack
URL tokens, the webhook HMAC secret, the SMTP password, the session secret, the metrics
token, an API token per role and (on PostgreSQL) a database password in the store URL —
and has done its work: an emergency sign-in polled, alerts to every channel failed (the
webhook receiver answers 500 echoing the request back, URL token and signature headers
included), a check run, a runbook built and signed, a checkpoint written.

Then the error paths run: Graph answering 401, a wrong Graph client secret, a test message
to the failing channels (API and console), configs that fail validation, a database that
cannot be reached. Afterwards every /api/v1 GET route (every page of each list) and the
other JSON routes, every console page as an admin and as a viewer, the answers of the
error paths, the files the service built, and every row of every table are searched for
each secret as written and as it would be encoded on the way out (``tests.support.secrets``),
and so is every log line (structlog events and stdlib records at DEBUG) of it all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import SecretStr

from breakglass.config import load_settings
from breakglass.errors import BreakglassError
from tests.support.asgi import AppClient
from tests.support.console import ADMIN, VIEWER
from tests.support.logs import Captured
from tests.support.matrix import ROUTES as API_ROUTES
from tests.support.secrets import leaked
from tests.support.security import (
    CONSOLE,
    Loaded,
    closed_port,
    crawl,
    database_snapshot,
    with_password,
)
from tests.support.sim import merge_toml
from tests.support.tenant import BG1

WRONG_GRAPH_SECRET = "WrongGraphSecretCanary~3Fv.Ku58"
#: The password in the URL of a database that cannot be reached (or has no such driver).
UNREACHABLE_DB_PASSWORD = "UnreachableDbPasswordCanary-Wq81"


class Texts:
    """Everything a reader could see, by where it came from."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, where: str, text: str) -> None:
        self.items.append((where, text))

    def answer(self, where: str, response: Any) -> None:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        body = response.content.decode("latin-1")  # PDFs too, byte for byte
        self.add(f"{where} -> {response.status_code}", f"{headers}\n\n{body}")

    def leaks(self, secrets: dict[str, str]) -> list[str]:
        return [
            f"{kind} in {where}" for where, text in self.items for kind in leaked(text, secrets)
        ]


def _error_paths(loaded: Loaded, texts: Texts) -> None:
    """Run what fails, and keep what each failure said."""
    api, sim = loaded.api, loaded.sim
    # Graph refuses every request: the checks run through the API record errors.
    sim.fault(path=".", status=401, count=1000)
    texts.answer("POST /api/v1/runs (Graph 401)", api.post("/api/v1/runs", "operator"))
    texts.answer("GET account (Graph 401)", api.get(f"/api/v1/accounts/{BG1}"))
    sim.clear_faults()
    # A wrong client secret: the token endpoint refuses it (AADSTS error text).
    credential = sim.settings.credential.model_copy(
        update={"client_secret": SecretStr(WRONG_GRAPH_SECRET)}
    )
    wrong = sim.settings.model_copy(update={"credential": credential})
    from breakglass_api import create_app

    with AppClient(create_app(wrong, store=sim.store)) as other:
        headers = {"Authorization": f"Bearer {api.tokens['operator']}"}
        texts.answer(
            "POST /api/v1/runs (wrong secret)", other.post("/api/v1/runs", headers=headers)
        )
    # The failing channels, from the API and from the console.
    texts.answer("POST /api/v1/notifications/test", api.post("/api/v1/notifications/test", "admin"))
    admin = loaded.console.client(ADMIN)
    token = admin.get("/auth/me").json()["csrf_token"]
    for channel in ("hook", "teams", "slack", "mail"):
        answer = admin.post("/notifications/test", data={"csrf_token": token, "channel": channel})
        texts.answer(f"console test message to {channel}", answer)
    retry = admin.post("/notifications/1/retry", data={"csrf_token": token, "channel": "hook"})
    texts.answer("console retry", retry)
    # Configs that fail validation, each beside a secret of its section.
    texts.add("config errors", "\n".join(_config_errors(loaded)))
    # A database that cannot be reached, its password in the URL.
    from breakglass.store import Store

    unreachable = with_password(
        f"postgresql+psycopg://root@127.0.0.1:{closed_port()}/breakglass", UNREACHABLE_DB_PASSWORD
    )
    no_driver = with_password("postgresql+nodriver://root@127.0.0.1/x", UNREACHABLE_DB_PASSWORD)
    for label, url in (("unreachable database", unreachable), ("unknown driver", no_driver)):
        try:
            with Store.open(url) as store:
                texts.add(label, str(store.migration_problem()))
        except BreakglassError as exc:
            texts.add(label, f"{type(exc).__name__}: {exc}")


def _config_errors(loaded: Loaded) -> list[str]:
    """The ConfigError of each broken copy of the service's config (all must fail)."""
    path: Path = loaded.sim.tenant.config_path
    s = loaded.secrets
    broken: list[dict[str, Any]] = [
        {"service": {"session_secret": s["session secret"], "metrics_token": ["a list"]}},
        {"service": {"session_secret": "short", "metrics_token": s["metrics token"]}},
        {"credential": {"client_secret": s["graph client secret"], "client_id": "not-a-guid"}},
        {"auth": {"web_client_secret": s["console client secret"], "authority": "http://x"}},
        {
            "notifications": {
                "channels": [
                    {
                        "name": "hook",
                        "kind": "webhook",
                        "url": f"ftp://127.0.0.1/hook/{s['webhook URL token']}",
                        "hmac_secret": s["webhook HMAC secret"],
                    }
                ]
            }
        },
        {
            "notifications": {
                "channels": [
                    {
                        "name": "hook",
                        "kind": "webhook",
                        "url": f"http://127.0.0.1/hook/{s['webhook URL token']}",
                        "hmac_secret": 12345678901234,
                    }
                ]
            }
        },
        {
            "notifications": {
                "channels": [
                    {
                        "name": "mail",
                        "kind": "smtp",
                        "host": "127.0.0.1",
                        "password": s["SMTP password"],
                        "sender": "x@contoso.test",
                        "recipients": "not a list",
                    }
                ]
            }
        },
    ]
    errors = []
    for index, overrides in enumerate(broken):
        copy = path.with_name(f"broken{index}.toml")
        copy.write_text(path.read_text())
        merge_toml(copy, overrides)
        try:
            load_settings(copy, env=False)
        except BreakglassError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        else:
            raise AssertionError(f"broken config {index} loaded: {overrides}")
    return errors


def _api_gets(loaded: Loaded, texts: Texts) -> int:
    """Every /api/v1 GET route with real ids, every page of each list; how many answers."""
    api = loaded.api
    real = {
        "/api/v1/runs/{run_id}": "/api/v1/runs/1",
        "/api/v1/reviews/{review_id}": "/api/v1/reviews/1",
        "/api/v1/reviews/{review_id}/report.pdf": "/api/v1/reviews/1/report.pdf",
        "/api/v1/reviews/{review_id}/report.manifest.json": "/api/v1/reviews/1/report.manifest.json",
        "/api/v1/runbooks/{release_id}.pdf": "/api/v1/runbooks/1.pdf",
        "/api/v1/runbooks/{release_id}.manifest.json": "/api/v1/runbooks/1.manifest.json",
    }
    count = 0
    for route in API_ROUTES:
        if route.method != "GET":
            continue
        url = real.get(route.template, route.url)
        cursor: str | None = None
        while True:
            params = {"limit": 200, **({"next": cursor} if cursor else {})}
            answer = api.get(url, "admin", params=params if "{" not in route.template else None)
            texts.answer(f"GET {url}", answer)
            count += 1
            assert answer.status_code < 500, (url, answer.text[:300])
            body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
            cursor = body.get("next") if isinstance(body, dict) else None
            if not cursor:
                break
    metrics = {"Authorization": f"Bearer {loaded.secrets['metrics token']}"}
    for path, headers in (
        ("/metrics", metrics),
        ("/readyz", {}),
        ("/healthz", {}),
        ("/openapi.json", {}),
        ("/docs", {}),
        ("/auth/me", {"Authorization": f"Bearer {api.tokens['admin']}"}),
    ):
        answer = api.client.get(path, headers=headers)
        texts.answer(f"GET {path}", answer)
        count += 1
    return count


def _built_files(loaded: Loaded, texts: Texts) -> int:
    """The runbooks, reports and checkpoints the service wrote (not the config itself)."""
    settings = loaded.sim.settings
    folders = [
        settings.resolve(Path("runbooks-built")),
        settings.resolve(Path("reports-built")),
        settings.resolve(settings.audit.checkpoint_dir),
    ]
    count = 0
    for folder in folders:
        for file in sorted(folder.rglob("*")) if folder.is_dir() else []:
            if file.is_file():
                texts.add(f"file {file.name}", file.read_bytes().decode("latin-1"))
                count += 1
    return count


def test_no_secret_anywhere_a_reader_can_look(captured: Captured, loaded: Loaded) -> None:
    """No secret in any API answer, page, error, built file, table row or log line.

    (``captured`` comes first so that it records the logs of ``loaded``'s work too.)
    """
    texts = Texts()
    _error_paths(loaded, texts)
    api_answers = _api_gets(loaded, texts)
    pages = 0
    for person in (ADMIN, VIEWER):
        client = loaded.console.client(person)
        starts = ["/", *(r.url for r in CONSOLE if r.method == "GET"), "/no-such-page"]
        for url, answer in crawl(client, starts).items():
            texts.answer(f"{person} GET {url}", answer)
            pages += 1
    files = _built_files(loaded, texts)
    dump = database_snapshot(loaded.sim.store.engine)
    for table, rows in dump.items():
        texts.add(f"table {table}", repr(rows))

    log_lines = captured.lines()
    for number, line in enumerate(log_lines):
        texts.add(f"log line {number}", line)

    secrets = {
        **loaded.secrets,
        "wrong Graph client secret": WRONG_GRAPH_SECRET,
        "unreachable database's password": UNREACHABLE_DB_PASSWORD,
    }
    found = texts.leaks(secrets)
    assert not found, "secrets a reader can see:\n" + "\n".join(found)

    # Not vacuous: the error paths said something, and the searched texts are many.
    assert api_answers > 25 and pages > 30 and files >= 2, (api_answers, pages, files)
    assert len(log_lines) > 100 and "notify.dead" in captured.event_names()
    joined = "\n".join(text for _, text in texts.items)
    assert "receiver down" in joined  # the echoing receiver's answer reached the record
    assert "Connection refused" in joined or "ConnectionRefused" in joined  # SMTP
    said = dict(texts.items)
    assert "127.0.0.1" in said["unreachable database"] and said["unknown driver"]
    config_errors = said["config errors"]
    assert config_errors.count("ConfigError") == 7
    assert sum(len(rows) for rows in dump.values()) > 50
