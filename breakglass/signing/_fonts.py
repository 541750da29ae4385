"""Fonts that render every character a signed document (runbook, review report) prints.

DejaVu (system) when present, else Bitstream Vera (shipped inside reportlab) with Courier
for monospace. Text is passed through ``FontSet.clean``, which replaces any character the
chosen font lacks (by its accent-free form, else "?"), so nothing prints as a blank box.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

__all__ = ["FontSet", "fonts"]

_DEJAVU_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
)
_DEJAVU = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "italic": "DejaVuSans-Oblique.ttf",
    "mono": "DejaVuSansMono.ttf",
}


@dataclass(frozen=True)
class FontSet:
    regular: str
    bold: str
    italic: str
    mono: str
    #: Code points every face of the set can draw.
    covered: frozenset[int] = field(repr=False)

    def clean(self, text: str) -> str:
        """``text`` with every character the fonts cannot draw replaced."""
        if all(ord(ch) in self.covered for ch in text):
            return text
        out = []
        for ch in text:
            if ord(ch) in self.covered:
                out.append(ch)
                continue
            plain = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
            out.append(plain if plain and all(ord(c) in self.covered for c in plain) else "?")
        return "".join(out)


def _register(prefix: str, files: dict[str, Path]) -> FontSet:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names: dict[str, str] = {}
    covered: set[int] | None = None
    for role, path in files.items():
        name = f"{prefix}-{role}"
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
        font = pdfmetrics.getFont(name)
        cmap = set(font.face.charToGlyph)
        covered = cmap if covered is None else covered & cmap
        names[role] = name
    assert covered is not None
    # Standard Courier stands in for a missing monospace face (it prints ids and hashes:
    # ASCII only).
    names.setdefault("mono", "Courier")
    # So that <b> and <i> inside paragraphs pick the right faces.
    pdfmetrics.registerFontFamily(
        names["regular"],
        normal=names["regular"],
        bold=names["bold"],
        italic=names["italic"],
        boldItalic=names["bold"],
    )
    return FontSet(
        regular=names["regular"],
        bold=names["bold"],
        italic=names["italic"],
        mono=names["mono"],
        covered=frozenset(covered),
    )


@cache
def fonts() -> FontSet:
    for folder in _DEJAVU_DIRS:
        files = {role: folder / name for role, name in _DEJAVU.items()}
        if all(path.is_file() for path in files.values()):
            return _register("BG-DejaVu", files)
    import reportlab

    shipped = Path(reportlab.__file__).parent / "fonts"
    return _register(
        "BG-Vera",
        {
            "regular": shipped / "Vera.ttf",
            "bold": shipped / "VeraBd.ttf",
            "italic": shipped / "VeraIt.ttf",
        },
    )
