"""The console in a real browser: Debian's Chromium driven by Playwright against a real
uvicorn serving a simulated tenant, signed in through the simulated Entra sign-in page.

One test walks a review from the emergency sign-in to its close as the people who do it;
one photographs every page at desktop and at 375 px width (for a person to look at:
``$BREAKGLASS_SCREENSHOTS`` or a folder under the test's tmp dir) and checks what a
picture cannot: no horizontal scrolling at 375 px, no CSP violation, keyboard access.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from breakglass.watcher import poll_once
from tests.support.console import ADMIN, APPROVER, OPERATOR, VIEWER, console_users, free_port, serve
from tests.support.notify import Receiver, hook_channel, serve_receiver
from tests.support.sim import Sim, sign_in
from tests.support.tenant import BG1, BG2, healthy_tenant

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSPHRASE = "correct horse battery staple"

pytestmark = pytest.mark.slow


def _apart(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run ``action`` in another thread: Playwright's sync API keeps an event loop running in
    this one, and the product's Graph client starts its own with ``asyncio.run``."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(action, *args, **kwargs).result()


def _need_browser() -> None:
    """Skip (outside CI only) when Chromium or Playwright is missing; CI must have both."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (Debian package chromium; ./dev setup installs it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package (dev extra)")
    if not missing:
        return
    reason = "browser tests need " + " and ".join(missing)
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("BREAKGLASS_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """Webhook receivers: ``soc`` answers 200, ``pager`` 500 (its deliveries die)."""
    for made in serve_receiver(None):
        made.status["pager"] = 500
        yield made


@pytest.fixture
def served(
    sim_factory: Callable[..., Sim], monkeypatch: pytest.MonkeyPatch, receiver: Receiver
) -> Iterator[tuple[Sim, str]]:
    """A tenant (SQLite) served by uvicorn at the URL its configuration names, alerting two
    webhook channels (one of them broken)."""
    from breakglass_api import create_app

    from breakglass.signing import PASSPHRASE_ENV, init_keys

    port = free_port()
    scenario = healthy_tenant()
    scenario["demo_users"] = console_users()
    sim = sim_factory(
        scenario,
        service={"public_url": f"http://127.0.0.1:{port}"},
        notifications={
            "channels": [
                hook_channel(receiver, "soc", "webhook"),
                hook_channel(receiver, "pager", "webhook"),
            ],
            "max_attempts": 1,
        },
    )
    init_keys(sim.settings, PASSPHRASE)
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    with serve(create_app(sim.settings, store=sim.store), port) as url:
        yield sim, url


def _page(browser: Any, width: int = 1280) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return context, page, violations


def _sign_in(page: Any, url: str, name: str, path: str = "/", shot: Path | None = None) -> None:
    """Open ``path``; the console sends the browser to the simulated Entra page; pick ``name``."""
    page.goto(url + path)
    if shot is not None:
        page.screenshot(path=shot, full_page=True)
    page.get_by_role("button", name=re.compile(re.escape(name))).click()
    page.wait_for_url(re.compile(re.escape(url)))


def _message(page: Any) -> str:
    return str(page.locator(".message").first.inner_text())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_review_from_sign_in_to_close(browser: Any, served: tuple[Sim, str], shots: Path) -> None:
    """An operator sees the live review appear and submits it; the same person may not
    approve it (two-person rule), another approver does; closing waits for rotation."""
    sim, url = served
    context, page, violations = _page(browser)
    _sign_in(page, url, OPERATOR, "/reviews", shots / "flow-00-entra-sign-in.png")
    page.screenshot(path=shots / "flow-01-reviews-empty.png", full_page=True)
    assert page.get_by_role("heading", name="Reviews").is_visible()
    assert page.get_by_text("No reviews.").is_visible()

    sim.sign_ins([sign_in(BG1, "-5m", location={"city": "Zürich", "countryOrRegion": "CH"})])
    _apart(poll_once, sim.store, sim.settings)
    page.reload()
    page.get_by_role("link", name="Review 1").click()
    assert page.get_by_role("heading", name=re.compile("Review 1")).is_visible()
    assert page.get_by_text("203.0.113.24").is_visible()
    assert page.get_by_text("Zürich, CH").is_visible()

    page.get_by_label("Classification").select_option("emergency")
    page.get_by_label("Justification").fill("Conditional Access outage locked out every admin")
    page.get_by_label("What was done with the account").fill("Excluded the admins from the policy")
    page.get_by_label("Root cause").fill("A CA change applied to all users")
    page.get_by_label("Ticket").fill("INC-4711")
    page.screenshot(path=shots / "flow-02-submit-form.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(path=shots / "flow-02-submit-form-375.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Submit review 1").click()
    assert "Submitted" in _message(page)
    page.screenshot(path=shots / "flow-03-submitted.png", full_page=True)

    page.get_by_role("button", name="Approve review 1").click()
    refused = _message(page)
    assert "two-person rule" in refused and OPERATOR in refused
    page.screenshot(path=shots / "flow-04-two-person-refused.png", full_page=True)
    assert page.get_by_text("submitted", exact=True).first.is_visible()

    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, url, APPROVER, "/reviews/1")
    page.get_by_role("button", name="Approve review 1").click()
    assert "Approved" in _message(page)

    page.get_by_role("button", name="Close review 1").click()
    assert "no credential change" in _message(page)
    page.screenshot(path=shots / "flow-05-close-refused.png", full_page=True)

    sim.patch(f"/resources/users/{BG1}", {"lastPasswordChangeDateTime": "-1m"})
    page.get_by_role("button", name="Close review 1").click()
    assert "Closed" in _message(page)
    history = page.locator(".history").inner_text()
    assert f"approve (submitted → approved) by {APPROVER}" in history
    assert f"submit (open → submitted) by {OPERATOR}" in history
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("signed report")).click()
    assert download.value.suggested_filename == "review-1.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.screenshot(path=shots / "flow-06-closed.png", full_page=True)
    assert violations == []
    context.close()


PAGES = [
    ("dashboard", "/"),
    ("reviews", "/reviews"),
    ("review-open", "/reviews/{open}"),
    ("review-closed", "/reviews/{closed}"),
    ("findings", "/findings"),
    ("findings-failing", "/findings?status=fail"),
    ("accounts", "/accounts"),
    ("runbooks", "/runbooks"),
    ("audit", "/audit"),
    ("notifications", "/notifications"),
    ("tokens", "/tokens"),
]


def _history(sim: Sim) -> dict[str, int]:
    """A closed review of bg1 (a use and a failed attempt 20 days ago), an open one of bg2
    and a check run that finds bg2 disabled: something on every page to look at."""
    from breakglass import reviews
    from breakglass.jobs import dispatch

    sim.sign_ins(
        [sign_in(BG1, "-20d"), sign_in(BG1, "-20d", ok=False), sign_in(BG2, "-3h", ok=True)]
    )
    poll_once(sim.store, sim.settings)
    made = sim.read(reviews.list_reviews)
    closed = next(r["id"] for r in made if r["account"]["id"] == BG1 and r["kind"] == "usage")
    still_open = next(r["id"] for r in made if r["account"]["id"] == BG2)
    sim.submit(closed, actor=OPERATOR, operator=OPERATOR)
    sim.tx(reviews.approve, closed, actor=APPROVER)
    sim.patch(f"/resources/users/{BG1}", {"lastPasswordChangeDateTime": "-1m"})
    reviews.close(sim.store, sim.settings, closed, actor=APPROVER)
    sim.patch(f"/resources/users/{BG2}", {"accountEnabled": False})
    sim.tenant.check(store=True)
    dispatch(sim.store, sim.settings)
    return {"closed": closed, "open": still_open}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_at_desktop_and_phone_width(
    browser: Any, served: tuple[Sim, str], shots: Path
) -> None:
    """Every page renders for an admin at 1280 and 375 px without horizontal scrolling or a
    CSP violation; the skip link comes first on the keyboard; a viewer meets a 403 page."""
    from breakglass.jobs import dispatch

    sim, url = served
    ids = _apart(_history, sim)
    context, page, violations = _page(browser)
    _sign_in(page, url, ADMIN)
    page.goto(url + "/runbooks")
    page.get_by_role("button", name="Build and sign the runbook").click()
    assert "Runbook built" in _message(page)
    built = page.get_by_role("link", name="Download PDF").first
    with page.expect_download() as download:
        built.click()
    pdf = Path(download.value.path())
    page.get_by_label("Runbook PDF").set_input_files(str(pdf))
    page.get_by_role("button", name="Verify").click()
    assert page.locator("#verification").inner_text().startswith("VALID:")
    page.screenshot(path=shots / "runbook-verified.png", full_page=True)

    page.goto(url + "/tokens")
    page.get_by_label("Name").fill("SIEM export")
    page.get_by_role("button", name="Create token").click()
    token = page.get_by_label("The new token").input_value()
    assert token.startswith("bgt_")
    page.screenshot(path=shots / "token-created.png", full_page=True)
    page.goto(url + "/tokens")
    assert token not in page.content()

    page.goto(url + "/notifications")
    page.get_by_role("button", name="Send again").first.click()
    assert "queued again" in _message(page)
    page.get_by_role("button", name="Send test").click()
    assert "test notification is queued" in _message(page)
    page.screenshot(path=shots / "notifications-test-queued.png", full_page=True)
    _apart(dispatch, sim.store, sim.settings)

    page.goto(url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.screenshot(path=shots / "skip-link-focused.png")

    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in PAGES:
            page.goto(url + path.format(**ids))
            assert page.locator("main h1").is_visible(), path
            page.screenshot(path=shots / f"{name}-{width}.png", full_page=True)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow} px at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    page.goto(url + f"/reviews/{ids['closed']}")
    page.screenshot(path=shots / "review-closed-print.png", full_page=True)
    page.emulate_media(media="screen")
    assert violations == []
    context.close()

    context, page, _ = _page(browser, 375)
    _sign_in(page, url, VIEWER, "/tokens")
    assert page.get_by_role("heading", name="Not allowed").is_visible()
    page.screenshot(path=shots / "forbidden-375.png", full_page=True)
    page.goto(url + f"/reviews/{ids['open']}")
    assert page.get_by_role("button", name=re.compile("Approve|Close|Submit")).count() == 0
    context.close()
    print(f"\nscreenshots: {shots}")
