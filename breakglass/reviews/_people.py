"""Whether two typed names are the same person (the two-person rule, DESIGN §9).

A name is compared by its *key*: NFKC normalisation (full-width and compatibility forms
become plain letters), format characters removed (Unicode category ``Cf``: zero-width
spaces, joiners, direction marks), every run of whitespace (a no-break space too) made one
space, trimmed and casefolded. Two names are the same person when their keys match, or
when their *skeletons* match: the key with common Cyrillic and Greek letters that look
like Latin ones replaced by those Latin letters (a small explicit table in the spirit of
Unicode TR 39's confusables; Cyrillic "а" and Greek "ο" are not another person).

An approver's name that mixes letters of more than one script is refused outright: no
one is called "Dmиtry", but someone impersonating a colleague might type it.
"""

from __future__ import annotations

import unicodedata

__all__ = ["mixed_scripts", "person_key", "same_person", "skeleton"]

#: Cyrillic and Greek letters (after casefolding) that render like a Latin letter.
_CONFUSABLES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i",
        "ї": "i", "ј": "j", "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p",
        "ԛ": "q", "ѕ": "s", "т": "t", "у": "y", "ѵ": "v", "ԝ": "w", "х": "x", "ү": "y",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ϲ": "c", "ϳ": "j",
        "ζ": "z",
    }
)  # fmt: skip


def person_key(name: str) -> str:
    """``name`` normalised for comparison (NFKC, no format characters, one space, casefold)."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split()).casefold()


def skeleton(name: str) -> str:
    """The key of ``name`` with Cyrillic and Greek look-alikes replaced by Latin letters."""
    return person_key(name).translate(_CONFUSABLES)


#: Scripts that are written together in one name (Japanese, Korean) count as one.
_SAME_SCRIPT = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    try:
        first = unicodedata.name(ch).split(" ", 1)[0]
    except ValueError:  # an unnamed letter: its own script for this purpose
        return "UNKNOWN"
    return _SAME_SCRIPT.get(first, first)


def mixed_scripts(name: str) -> list[str]:
    """The scripts of the letters of ``name`` (after NFKC) when there is more than one."""
    scripts = sorted({s for ch in person_key(name) if (s := _script(ch))})
    return scripts if len(scripts) > 1 else []


def same_person(a: str | None, b: str | None) -> bool:
    """Whether ``a`` and ``b`` name the same person (equal keys or equal skeletons)."""
    if a is None or b is None or not person_key(a) or not person_key(b):
        return False
    return person_key(a) == person_key(b) or skeleton(a) == skeleton(b)
