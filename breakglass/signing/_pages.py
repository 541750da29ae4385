"""The page of a signed document (runbooks, review reports): A4 geometry, styles, "page n of N".

``numbered_canvas`` holds pages back until it knows their count, then draws each page's
header and footer through a ``Furniture`` callback, so every page can say "Page n of N".
``PageStyles`` is the one set of paragraph styles and table builders both documents use.
Rendering with reportlab ``invariant=1`` keeps the bytes reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import ListFlowable, ListItem, Paragraph, Table, TableStyle

from breakglass.signing._fonts import FontSet

__all__ = [
    "FOOTER_H",
    "MARGIN_X",
    "MM",
    "PAGE_H",
    "PAGE_W",
    "Furniture",
    "PageStyles",
    "group_hex",
    "numbered_canvas",
]

#: One millimetre in points.
MM = 72 / 25.4
PAGE_W, PAGE_H = 595.2756, 841.8898  # A4 in points
MARGIN_X = 16 * MM
FOOTER_H = 14 * MM


def group_hex(hex_text: str, size: int = 4) -> str:
    """``abcd1234…`` as ``abcd 1234 …``, easier to compare by eye."""
    return " ".join(hex_text[i : i + size] for i in range(0, len(hex_text), size))


class PageStyles:
    """Paragraph styles and small builders bound to one font set (``f``)."""

    def __init__(self, font_set: FontSet) -> None:
        self.f = font_set
        base = ParagraphStyle("body", fontName=font_set.regular, fontSize=10.5, leading=14)
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=9, leading=11.5)
        self.cell = ParagraphStyle("cell", parent=base, fontSize=9.5, leading=12)
        self.cell_bold = ParagraphStyle("cellb", parent=self.cell, fontName=font_set.bold)
        self.mono = ParagraphStyle(
            "mono", parent=base, fontName=font_set.mono, fontSize=9, leading=11.5
        )
        self.title = ParagraphStyle(
            "title", parent=base, fontName=font_set.bold, fontSize=24, leading=29, spaceAfter=6
        )
        self.subtitle = ParagraphStyle(
            "subtitle", parent=base, fontName=font_set.bold, fontSize=15, leading=19, spaceAfter=4
        )
        self.h1 = ParagraphStyle(
            "h1",
            parent=base,
            fontName=font_set.bold,
            fontSize=15,
            leading=19,
            spaceBefore=10,
            spaceAfter=6,
            keepWithNext=1,
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=base,
            fontName=font_set.bold,
            fontSize=12,
            leading=15,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        )
        self.warn = ParagraphStyle(
            "warn", parent=base, fontName=font_set.bold, fontSize=11, leading=14.5
        )

    def t(self, text: str | None) -> str:
        """Text made safe for Paragraph markup and for the font."""
        return escape(self.f.clean(text or ""))

    def p(self, text: str, style: Any = None) -> Any:
        return Paragraph(text, style or self.body)

    def mono_p(self, text: str, style: Any = None) -> Any:
        return self.p(escape(text), style or self.mono)

    def bullets(self, items: Iterable[str], style: Any = None) -> Any:
        return ListFlowable(
            [ListItem(self.p(self.t(item), style), leftIndent=14) for item in items],
            bulletType="bullet",
            bulletFontName=self.f.regular,
            bulletFontSize=10,
            start="•" if ord("•") in self.f.covered else "-",
            leftIndent=14,
        )

    def numbered(self, items: Iterable[str], *, markup: bool = False) -> Any:
        """A numbered list; ``markup`` items are already escaped paragraph markup."""
        return ListFlowable(
            [ListItem(self.p(item if markup else self.t(item)), leftIndent=20) for item in items],
            bulletType="1",
            bulletFormat="%s.",
            bulletFontName=self.f.bold,
            bulletFontSize=10.5,
            leftIndent=20,
        )

    def boxed(self, flowables: list[Any], *, heavy: bool = False) -> Any:
        table = Table([[flowables]], colWidths=[PAGE_W - 2 * MARGIN_X])
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 2 if heavy else 1, colors.black),
                    ("LEFTPADDING", (0, 0), (-1, -1), 8),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                    ("TOPPADDING", (0, 0), (-1, -1), 6),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
                ]
            )
        )
        return table

    def grid(
        self,
        rows: list[list[Any]],
        widths: Sequence[float],
        *,
        header: bool = False,
        label_col: bool = False,
        blank_rows: int = 0,
    ) -> Any:
        """A ruled table; ``blank_rows`` adds rows tall enough to write in by hand."""
        rows = rows + [[""] * len(widths) for _ in range(blank_rows)]
        heights = [None] * (len(rows) - blank_rows) + [9 * MM] * blank_rows
        table = Table(
            rows,
            colWidths=[w * MM for w in widths],
            rowHeights=heights,
            repeatRows=1 if header else 0,
        )
        style = [
            ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")))
        if label_col:
            style.append(("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#EEEEEE")))
        table.setStyle(TableStyle(style))
        return table


Furniture = Callable[[Canvas, int, int], None]


def numbered_canvas(furniture: Furniture) -> type[Canvas]:
    """A canvas class that holds pages back until it knows N, then draws each page's
    header and footer with ``furniture(canvas, n, N)`` ("page n of N")."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                furniture(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas
