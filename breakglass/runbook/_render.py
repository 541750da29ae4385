"""Render ``RunbookInputs`` to an unsigned, byte-reproducible PDF (reportlab platypus).

Written for a custodian under stress: large headings, one action per numbered step, a
check box and a "Time: ____" field on every step, warnings in words rather than colour.
Every page carries the document id, version, valid-until date, page n of N, the short
content hash and the signed QR code. ``invariant=1`` plus an issue date taken from the
inputs make two renders of the same inputs byte-identical.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode import qrencoder
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from breakglass.runbook._inputs import (
    HEALTH_CHECKS,
    NOT_VERIFIED,
    AccountFacts,
    CustodianFacts,
    RunbookInputs,
    default_custodian_role,
)
from breakglass.runbook._sources import CheckItem
from breakglass.signing import (
    FOOTER_H,
    MARGIN_X,
    MM,
    PAGE_H,
    PAGE_W,
    PageStyles,
    fonts,
    group_hex,
    numbered_canvas,
)

__all__ = ["render_pdf"]

HEADER_H = 36 * MM  # header band incl. the QR code
QR_SIZE = 30 * MM
FIELD = "_" * 16
#: The red of the "fewer than two healthy accounts" banner (dark enough to print grey).
DANGER = colors.HexColor("#B00020")
_ORDINALS = ("1st", "2nd", "3rd")
_QR_FORM = "BreakglassQr"


class _Doc(PageStyles):
    """The shared page styles plus the runbook's "not verified at print time" marker."""

    def not_verified(self) -> str:
        return f"<i>{escape(NOT_VERIFIED)}</i>"

    def unset(self, inputs: RunbookInputs, what: str = "not configured") -> str:
        """A value the configuration does not give: a line to write on, or says so."""
        return FIELD if inputs.handwritten_blanks else f"<b>{escape(what)}</b>"

    def danger(self, flowables: list[Any]) -> Any:
        """The red banner: white bold text on red, full width (reads as dark grey in B/W)."""
        table = Table([[flowables]], colWidths=[PAGE_W - 2 * MARGIN_X])
        table.setStyle(
            TableStyle(
                [
                    ("BACKGROUND", (0, 0), (-1, -1), DANGER),
                    ("BOX", (0, 0), (-1, -1), 2, colors.black),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        return table

    @property
    def on_red(self) -> Any:
        return ParagraphStyle("onred", parent=self.warn, textColor=colors.white, fontSize=12)


class _CheckBox(Flowable):  # type: ignore[misc]
    """An empty square to tick, drawn (not a glyph, so every font works)."""

    size = 4.2 * MM

    def wrap(self, avail_w: float, avail_h: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        self.canv.setLineWidth(1.2)
        self.canv.rect(0, 0, self.size, self.size)


def _checklist(d: _Doc, items: Sequence[CheckItem | tuple[str, str | None, str | None]]) -> Any:
    """Rows of: box | n. | text (+ expected, + field to fill) | Time: ____."""
    rows = []
    for n, item in enumerate(items, start=1):
        if isinstance(item, CheckItem):
            text, expect, field = item.text, None, item.field
        else:
            text, expect, field = item
        cell = [d.p(d.t(text), d.cell)]
        if expect:
            cell.append(d.p(f"<i>Expect:</i> {d.t(expect)}", d.cell))
        if field:
            cell.append(d.p(f"{d.t(field)}: {FIELD}{FIELD}", d.cell))
        rows.append(
            [
                _CheckBox(),
                d.p(f"<b>{n}.</b>", d.cell),
                cell,
                d.p(f"Time (UTC):<br/><br/>{FIELD[:11]}", d.cell),
            ]
        )
    table = d.grid(rows, [9, 9, 128, 32])

    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
            ]
        )
    )
    return table


def _status(d: _Doc, account: AccountFacts, order: int | None) -> str:
    if account.healthy:
        place = f" (try {_ordinal(order)})" if order is not None else ""
        return f"<b>HEALTHY at print time{place}</b>"
    if account.healthy is None:
        return "<b>NOT VERIFIED at print time</b>: try it only after the healthy accounts"
    return "<b>NOT HEALTHY at print time</b>: use it only if every other account fails"


def _ordinal(index: int | None) -> str:
    n = (index or 0) + 1
    return _ORDINALS[n - 1] if n <= len(_ORDINALS) else f"{n}th"


def _warning_lines(d: _Doc, account: AccountFacts) -> str:
    lines = [f"<b>WARNING: {d.t(c.text)}</b> ({c.check_id})" for c in account.warnings]
    lines += [f"<i>{d.t(c.text)}</i> ({c.check_id})" for c in account.unverified]
    return "<br/>".join(lines) or "none: every check passed at print time"


def _account_card(d: _Doc, inputs: RunbookInputs, index: int, account: AccountFacts) -> list[Any]:
    nv = d.not_verified()
    total = len(inputs.accounts)
    order = inputs.try_order.index(index - 1)
    if account.ga_state is None:
        role = nv
    elif account.ga_ok:
        role = d.t(account.ga_state)
    else:
        role = f"<b>{d.t(account.ga_state)}</b>"
    if account.methods is None:
        methods = nv
    else:
        lines = []
        for m in account.methods:
            label = d.t(m.label)
            if m.model:
                label += f": <b>{d.t(m.model)}</b>"
            lines.append(label)
        methods = "<br/>".join(lines) or "<b>none registered</b>"
    object_id = escape(account.object_id)
    if account.tenant_upn is None:
        object_id += f"<br/><font name='{d.f.regular}'>({nv})</font>"
    elif account.tenant_upn.lower() != account.upn.lower():
        object_id += (
            f"<br/><font name='{d.f.bold}'>WARNING: the tenant names this object "
            f"{d.t(account.tenant_upn)}</font>"
        )
    custodians = (
        "<br/>".join(
            d.t(c.name)
            + (
                f" ({d.t(c.role) or default_custodian_role(i).lower()})"
                if c.role or not inputs.handwritten_blanks
                else ""
            )
            for i, c in enumerate(account.custodians)
        )
        or "<b>WARNING: no custodian declared</b>"
    )
    rows = [
        ("Sign in as (UPN)", f"<font size='11'><b>{d.t(account.upn)}</b></font>"),
        ("Status", _status(d, account, order)),
        ("Warnings", _warning_lines(d, account)),
        ("Object id", f"<font name='{d.f.mono}'>{object_id}</font>"),
        ("Role", role),
        ("Sign-in method / key model", methods),
        ("Key label", d.t(account.key_label) or d.unset(inputs)),
        (
            "Safe location",
            d.t(account.credential_location) or d.unset(inputs, "WARNING: not configured"),
        ),
        ("Custodians", custodians),
    ]
    title = f"Account {index} of {total}"
    if account.display_name:
        title += f": {account.display_name}"
    table = d.grid(
        [[d.p(k, d.cell_bold), d.p(v, d.cell)] for k, v in rows], [44, 134], label_col=True
    )
    return [d.p(d.t(title), d.h2), table, Spacer(1, 4 * MM)]


def _readiness(d: _Doc, inputs: RunbookInputs) -> list[Any]:
    """Page 1: which accounts are healthy right now and which to try first."""
    accounts = inputs.accounts
    healthy = inputs.healthy_count
    out: list[Any] = []
    if healthy < inputs.min_healthy:
        out += [
            d.danger(
                [
                    d.p(
                        f"DANGER: only {healthy} of {len(accounts)} emergency accounts "
                        f"{'is' if healthy == 1 else 'are'} verified healthy at print time "
                        f"(at least {inputs.min_healthy} are needed).",
                        d.on_red,
                    ),
                    d.p(
                        "If the healthy one fails there may be no way in. Tell the identity "
                        "owner now: fix the accounts and print a new runbook."
                        if healthy
                        else "There may be no way in. Tell the identity owner now: fix the "
                        "accounts and print a new runbook.",
                        d.on_red,
                    ),
                ]
            ),
            Spacer(1, 3 * MM),
        ]
    rows: list[list[Any]] = [
        [d.p(f"<b>{h}</b>", d.cell) for h in ("Try", "Account", "Healthy?", "Warnings")]
    ]
    for place, i in enumerate(inputs.try_order):
        account = accounts[i]
        verdict = {True: "<b>YES</b>", False: "<b>NO</b>", None: "<b>NOT VERIFIED</b>"}[
            account.healthy
        ]
        problems = [
            f"<b>{d.t(c.label)}</b>" if c.check_id in HEALTH_CHECKS else d.t(c.label)
            for c in account.warnings
        ]
        unknown = len(account.unverified)
        if unknown:
            problems.append(f"<i>{unknown} fact(s) {escape(NOT_VERIFIED)}</i>")
        rows.append(
            [
                d.p(f"<b>{_ordinal(place)}</b>", d.cell),
                d.p(f"<b>{d.t(account.upn)}</b><br/>account {i + 1} in section 3", d.cell),
                d.p(verdict, d.cell),
                d.p("<br/>".join(problems) or "none", d.cell),
            ]
        )
    first = accounts[inputs.try_order[0]]
    advice = (
        f"Try <b>{d.t(first.upn)}</b> first. If its key fails, take the next line "
        "(section 6). Every warning is explained in the account's table in section 3."
        if first.healthy
        else "<b>No account is verified healthy:</b> try them in this order and escalate at once."
    )
    taken = (
        f"tenant facts read {inputs.snapshot_taken_at:%Y-%m-%d %H:%M} UTC"
        if inputs.snapshot_taken_at
        else "tenant facts NOT read"
    )
    # Not one KeepTogether: with many accounts the table may continue on page 2 (the
    # heading's keepWithNext keeps it with the table's first rows).
    out += [
        d.p(f"Which account to use ({taken})", d.h2),
        d.p(advice),
        Spacer(1, 1.5 * MM),
        d.grid(rows, [10, 92, 20, 56], header=True),
        Spacer(1, 4 * MM),
    ]
    return out


def _custodian_rows(
    d: _Doc, inputs: RunbookInputs, accounts: Sequence[AccountFacts]
) -> list[list[Any]]:
    seen: dict[CustodianFacts, list[str]] = {}
    roles: dict[CustodianFacts, str | None] = {}
    for n, account in enumerate(accounts, start=1):
        for i, custodian in enumerate(account.custodians):
            seen.setdefault(custodian, []).append(str(n))
            roles.setdefault(custodian, None if custodian.role else default_custodian_role(i))
    rows = [
        [
            d.p(f"<b>{h}</b>", d.cell)
            for h in ("Name", "Role", "Phone (out-of-band)", "Email", "Acct.")
        ]
    ]
    if not seen:
        rows.append(
            [
                d.p(
                    "<b>WARNING: no custodians are declared.</b> Fix the configuration"
                    + (
                        "; write names and out-of-band phone numbers here."
                        if inputs.handwritten_blanks
                        else "."
                    ),
                    d.cell,
                ),
                "",
                "",
                "",
                "",
            ]
        )
        if inputs.handwritten_blanks:
            rows.append(["", "", "", "", ""])
    for c, numbers in seen.items():
        default = roles[c]
        role = d.t(c.role) if c.role else (d.unset(inputs) if inputs.handwritten_blanks else "")
        if default and not inputs.handwritten_blanks:
            role = f"{default} <i>(default)</i>"
        rows.append(
            [
                d.p(d.t(c.name), d.cell_bold),
                d.p(role, d.cell),
                d.p(d.t(c.phone) or d.unset(inputs, "none configured"), d.cell),
                d.p(d.t(c.email), d.cell),
                d.p(", ".join(numbers), d.cell),
            ]
        )
    return rows


def _custodian_table(d: _Doc, inputs: RunbookInputs) -> Any:
    rows = _custodian_rows(d, inputs, inputs.accounts)
    table = d.grid(rows, [40, 40, 36, 48, 14], header=True)
    if not any(a.custodians for a in inputs.accounts):
        table.setStyle(TableStyle([("SPAN", (0, 1), (-1, 1))]))
    return table


def _notify_table(d: _Doc, inputs: RunbookInputs) -> Any:
    rows = [[d.p(f"<b>{h}</b>", d.cell) for h in ("Who", "When", "Name", "Phone / email")]]
    for n in inputs.procedure.notify:
        reach = "<br/>".join(d.t(x) for x in (n.phone, n.email) if x)
        rows.append(
            [
                d.p(d.t(n.role), d.cell_bold),
                d.p(d.t(n.when), d.cell),
                d.p(d.t(n.name) or d.unset(inputs), d.cell),
                d.p(reach or (FIELD if inputs.handwritten_blanks else ""), d.cell),
            ]
        )
    return d.grid(rows, [45, 55, 36, 42], header=True)


def _sign_off(d: _Doc) -> Any:
    """Closes the procedure: who did it, who witnessed it, when (UTC)."""
    header = [d.p(f"<b>{h}</b>", d.cell) for h in ("", "Name", "Signature", "Date, time (UTC)")]
    people = ("Custodian", "Second person (witness)", "Approver")
    table = Table(
        [header, *([d.p(who, d.cell_bold), "", "", ""] for who in people)],
        colWidths=[w * MM for w in (44, 50, 46, 38)],
        rowHeights=[None, *(12 * MM for _ in people)],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")),
                ("BACKGROUND", (0, 1), (0, -1), colors.HexColor("#EEEEEE")),
            ]
        )
    )
    return KeepTogether(
        [
            d.p("Sign-off: procedure completed", d.h2),
            d.p("Both people sign when the key is back in the safe and the SOC has been told."),
            d.p(f"Incident ticket: {FIELD}{FIELD}"),
            Spacer(1, 2 * MM),
            table,
        ]
    )


def _cover_warnings(d: _Doc, inputs: RunbookInputs) -> list[Any]:
    """The cover says plainly when tenant facts could not be read."""
    if inputs.live_facts_note:
        text = (
            "WARNING: the tenant's live facts were NOT read at print time "
            f"({d.t(inputs.live_facts_note)}). Object ids, roles and key models "
            f'marked "{NOT_VERIFIED}" come only from the configuration.'
        )
    elif inputs.unread:
        text = (
            "WARNING: some tenant facts could NOT be read at print time: "
            f"{d.t('; '.join(inputs.unread))}. What depends on them is marked "
            f'"{NOT_VERIFIED}" and comes only from the configuration.'
        )
    else:
        return []
    return [d.boxed([d.p(text, d.warn)], heavy=True), Spacer(1, 4 * MM)]


def _story(d: _Doc, inputs: RunbookInputs, payload: str) -> list[Any]:
    proc = inputs.procedure

    issued = f"{inputs.issued_at:%Y-%m-%d %H:%M} UTC"
    valid = f"{inputs.valid_until:%Y-%m-%d} (UTC)"
    story: list[Any] = [
        d.p(d.t(proc.title), d.title),
        d.p(d.t(inputs.tenant_name), d.subtitle),
        d.p(
            f"Tenant id <font name='{d.f.mono}'>{escape(inputs.tenant_id)}</font>"
            f" &nbsp; Initial domain: {d.t(inputs.initial_domain) or d.not_verified()}"
            f" &nbsp; Cloud: {d.t(inputs.cloud)}",
            d.small,
        ),
        Spacer(1, 4 * MM),
        d.boxed(
            [
                d.p("STOP. Before you do anything:", d.warn),
                d.bullets(
                    [
                        "Use these accounts only for an emergency listed in section 1.",
                        "Two authorised people must be present at all times (two-person rule).",
                        "Every sign-in alerts the SOC and opens a mandatory after-action review.",
                        "Work through the numbered steps in order. Write the time (UTC) at "
                        "every step.",
                        f"Do not use this copy after {inputs.valid_until:%Y-%m-%d}.",
                    ],
                    d.body,
                ),
            ],
            heavy=True,
        ),
        Spacer(1, 4 * MM),
        *_cover_warnings(d, inputs),
        *_readiness(d, inputs),
    ]
    if inputs.snapshot_taken_at is None:
        taken = "<b>NOT READ</b> (see the warning above)"
    else:
        taken = f"{inputs.snapshot_taken_at:%Y-%m-%d %H:%M} UTC"
        if inputs.unread:
            taken += " <b>(incomplete: see the warning above)</b>"
    details = [
        ("Document id", escape(inputs.doc_id)),
        ("Version", escape(inputs.version)),
        ("Issued", issued),
        ("Valid until", f"<b>{valid}</b>"),
        ("Tenant facts read", taken),
        ("Issued by", d.t(inputs.organisation)),
        (
            "Signer certificate SHA-256",
            f"<font name='{d.f.mono}'>{group_hex(inputs.signer_fingerprint)}</font>",
        ),
        ("Procedure", f"{d.t(proc.id)} version {d.t(proc.procedure_version)}"),
    ]
    story += [
        KeepTogether(
            d.grid(
                [[d.p(k, d.cell_bold), d.p(v, d.cell)] for k, v in details],
                [48, 130],
                label_col=True,
            )
        ),
        CondPageBreak(90 * MM),
        KeepTogether(
            [
                d.p("Contents", d.h2),
                d.numbered(
                    [
                        "When to use the emergency accounts",
                        "Before you start: authorisation",
                        "The emergency accounts",
                        "Custodians and who to notify",
                        "Sign in",
                        "If a key fails",
                        "Allowed actions, stop conditions and action log",
                        "After use and sign-off",
                        f"Validation every {proc.validation.interval_days} days",
                        "How to verify this runbook",
                    ]
                ),
            ]
        ),
        CondPageBreak(120 * MM),
        d.p("1. When to use the emergency accounts", d.h1),
        d.p(d.t(proc.purpose)),
        KeepTogether([d.p("Use them only when:", d.h2), d.bullets(proc.when_to_use)]),
    ]
    if proc.never_use_for:
        story.append(
            KeepTogether([d.p("Never use them for:", d.h2), d.bullets(proc.never_use_for)])
        )
    story.append(
        KeepTogether(
            [
                d.p("2. Before you start: authorisation", d.h1),
                d.p("Tick every line. If one cannot be ticked, do not continue."),
                Spacer(1, 2 * MM),
                _checklist(d, proc.preconditions),
            ]
        )
    )
    intro = [
        d.p("3. The emergency accounts", d.h1),
        d.p(
            f"{len(inputs.accounts)} accounts. Use ONE account, in the order of the table on "
            "page 1; the others are the fallback (section 6). Security keys and PINs are "
            "sealed separately; no PIN or password is printed here."
            if len(inputs.accounts) > 1
            else "<b>WARNING: only one emergency account is declared, so there is no fallback "
            "if its key fails.</b> Security keys and PINs are sealed separately; no PIN or "
            "password is printed here."
        ),
    ]
    for i, account in enumerate(inputs.accounts, start=1):
        card = _account_card(d, inputs, i, account)
        # The section heading stays on the page of the first card.
        story.append(KeepTogether([*intro, *card] if i == 1 else card))
    story += [
        KeepTogether(
            [
                d.p("4. Custodians and who to notify", d.h1),
                d.p("Custodians (call on the phone numbers: Teams and mail may be down):", d.h2),
                _custodian_table(d, inputs),
            ]
        ),
        KeepTogether([d.p("Notification list:", d.h2), _notify_table(d, inputs)]),
        # One block: the heading, the workstation rules and every step on one page.
        KeepTogether(
            [
                d.p("5. Sign in", d.h1),
                d.p("Workstation:", d.h2),
                d.bullets(proc.sign_in.workstation),
                d.p("Steps:", d.h2),
                _checklist(d, [(s.action, s.expect, s.field) for s in proc.sign_in.steps]),
            ]
        ),
        KeepTogether([d.p("6. If a key fails", d.h1), d.numbered(proc.key_failure)]),
        KeepTogether(
            [
                d.p("7. Allowed actions, stop conditions and action log", d.h1),
                d.p("Allowed:", d.h2),
                d.bullets(proc.allowed_actions),
            ]
        ),
        KeepTogether([d.p("Stop when:", d.h2), d.bullets(proc.stop_conditions)]),
        KeepTogether(
            [
                d.p("Action log (one line per action, both people initial):", d.h2),
                d.grid(
                    [
                        [
                            d.p(f"<b>{h}</b>", d.cell)
                            for h in (
                                "Time (UTC)",
                                "Action taken (and the previous value)",
                                "Initials",
                            )
                        ]
                    ],
                    [24, 130, 24],
                    header=True,
                    blank_rows=8,
                ),
            ]
        ),
        KeepTogether([d.p("8. After use and sign-off", d.h1), _checklist(d, proc.after_use)]),
        _sign_off(d),
        KeepTogether(
            [
                d.p(f"9. Validation every {proc.validation.interval_days} days", d.h1),
                d.numbered(proc.validation.steps),
            ]
        ),
        KeepTogether(
            [
                d.p("Validation and drill record:", d.h2),
                d.grid(
                    [
                        [
                            d.p(f"<b>{h}</b>", d.cell)
                            for h in ("Date (UTC)", "Account", "Result", "Names")
                        ]
                    ],
                    [28, 60, 40, 50],
                    header=True,
                    blank_rows=4,
                ),
            ]
        ),
        _verification_section(d, inputs, payload),
    ]
    return story


def _verification_section(d: _Doc, inputs: RunbookInputs, payload: str) -> Any:
    def cmd(text: str) -> str:
        return f"<br/><font name='{d.f.mono}' size='9'>{escape(text)}</font><br/>"

    doc, version = escape(inputs.doc_id), escape(inputs.version)
    steps = [
        f'Every page shows document {doc}, version {version} and "Page n of N": check that '
        "no page is missing or comes from another version.",
        f"Check the date: this copy is valid until <b>{inputs.valid_until:%Y-%m-%d}</b>.",
        "Scan the QR code on any page (or type the payload below) and run "
        f"{cmd('breakglass runbook verify-qr PAYLOAD --config CONFIG')}"
        'It must say "issued by the expected signer" and show this version.',
        "The content hash printed at the foot of every page must equal the first 16 "
        "characters of the hash inside the QR payload.",
        f"For the PDF file, run {cmd('breakglass runbook verify FILE.pdf --config CONFIG')}"
        "It checks the PDF signature, that nothing was added after signing, the signer and "
        "the signed manifest FILE.pdf.manifest.json beside the file.",
        "The signer certificate's SHA-256 fingerprint must be the one below; compare with "
        f"{cmd('openssl x509 -in CERT.pem -noout -fingerprint -sha256')}",
    ]
    wrapped_payload = " ".join(payload[i : i + 48] for i in range(0, len(payload), 48))
    facts = [
        ("Signer certificate SHA-256", group_hex(inputs.signer_fingerprint)),
        ("Content SHA-256", group_hex(inputs.content_sha256)),
        ("QR payload", wrapped_payload),
    ]
    # One block: the instructions are useless without the fingerprints beside them.
    return KeepTogether(
        [
            d.p("10. How to verify this runbook", d.h1),
            d.numbered(steps, markup=True),
            Spacer(1, 3 * MM),
            d.grid(
                [[d.p(label, d.cell_bold), d.mono_p(value)] for label, value in facts],
                [44, 134],
                label_col=True,
            ),
        ]
    )


def _qr_modules(payload: str) -> list[list[bool]]:
    """The QR matrix (error correction M, smallest version that fits), computed once."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    code.make()
    return [[bool(cell) for cell in row] for row in code.modules]


def _draw_qr(canvas: Any, modules: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw the code once as a form XObject, then place it (cheap on every page)."""
    if not canvas.hasForm(_QR_FORM):
        canvas.beginForm(_QR_FORM)
        quiet = 2  # modules of white border
        box = size / (len(modules) + 2 * quiet)
        path = canvas.beginPath()
        for r, row in enumerate(modules):
            c = 0
            for dark, run in itertools.groupby(row):
                count = len(list(run))
                if dark:
                    path.rect((c + quiet) * box, size - (r + quiet + 1) * box, count * box, box)
                c += count
        canvas.setFillColor(colors.black)
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.endForm()
    canvas.saveState()
    canvas.translate(x, y)
    canvas.doForm(_QR_FORM)
    canvas.restoreState()


def _furniture(
    canvas: Any, page: int, total: int, inputs: RunbookInputs, d: _Doc, qr: list[list[bool]]
) -> None:
    """Header and footer of one page (drawn once the page count is known)."""

    canvas.saveState()
    top = PAGE_H - 10 * MM
    _draw_qr(canvas, qr, PAGE_W - MARGIN_X - QR_SIZE + 2 * MM, PAGE_H - 6 * MM - QR_SIZE, QR_SIZE)
    canvas.setFont(d.f.bold, 12)
    canvas.drawString(MARGIN_X, top, d.f.clean("EMERGENCY ACCESS RUNBOOK")[:60])
    canvas.setFont(d.f.regular, 10)
    canvas.drawString(MARGIN_X, top - 14, d.f.clean(inputs.tenant_name)[:70])
    canvas.drawString(MARGIN_X, top - 28, f"Document {inputs.doc_id}   Version {inputs.version}")
    canvas.setFont(d.f.bold, 10)
    canvas.drawString(MARGIN_X, top - 42, f"Valid until {inputs.valid_until:%Y-%m-%d} (UTC)")
    canvas.setFont(d.f.bold, 11)
    canvas.drawString(MARGIN_X, top - 58, f"Page {page} of {total}")
    canvas.setLineWidth(0.8)
    line_y = PAGE_H - HEADER_H + 2 * MM
    canvas.line(MARGIN_X, line_y, PAGE_W - MARGIN_X - QR_SIZE - 1 * MM, line_y)
    # Footer.
    canvas.line(MARGIN_X, FOOTER_H - 2 * MM, PAGE_W - MARGIN_X, FOOTER_H - 2 * MM)
    canvas.setFont(d.f.regular, 8.5)
    canvas.drawString(
        MARGIN_X,
        FOOTER_H - 6 * MM,
        f"{inputs.doc_id}  v{inputs.version}  valid until {inputs.valid_until:%Y-%m-%d}",
    )
    canvas.drawString(
        MARGIN_X,
        FOOTER_H - 10 * MM,
        "Signed runbook: verify before use (section 10). Keep in the safe.",
    )
    canvas.setFont(d.f.mono, 8.5)
    canvas.drawRightString(
        PAGE_W - MARGIN_X, FOOTER_H - 6 * MM, f"content {inputs.content_sha256[:16]}"
    )
    canvas.setFont(d.f.bold, 9)
    canvas.drawRightString(PAGE_W - MARGIN_X, FOOTER_H - 10 * MM, f"Page {page} of {total}")
    canvas.restoreState()


def render_pdf(inputs: RunbookInputs, qr_payload: str) -> bytes:
    """The unsigned PDF: same inputs and payload give the same bytes."""

    d = _Doc(fonts())
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(PAGE_W, PAGE_H),
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=HEADER_H,
        bottomMargin=FOOTER_H + 2 * MM,
        title=f"{inputs.procedure.title}: {inputs.tenant_name}",
        author=inputs.organisation,
        subject=f"{inputs.doc_id} version {inputs.version}; content SHA-256 "
        f"{inputs.content_sha256}",
        creator="breakglass runbook build",
        keywords=[inputs.doc_id, inputs.version],
        invariant=1,
        pageCompression=1,
        lang="en",
    )
    qr = _qr_modules(qr_payload)
    doc.build(
        _story(d, inputs, qr_payload),
        canvasmaker=numbered_canvas(lambda c, n, total: _furniture(c, n, total, inputs, d, qr)),
    )
    return buffer.getvalue()
