"""Package exports that load on first use (PEP 562), so importing a package stays cheap.

``breakglass --help`` and ``runbook verify`` must not pay for msgraph, reportlab or the
store; a package lists where each public name lives and gets its ``__getattr__`` and
``__dir__`` from here::

    __getattr__, __dir__ = lazy_exports(__name__, {"sweep": "_deadlines", ...}, __all__)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, where: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``; ``where`` maps a name to its module
    (``"_x"`` inside the package, or an absolute dotted name)."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        target = f"{package}.{module}" if module.startswith("_") else module
        value = getattr(importlib.import_module(target), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    def __dir__() -> list[str]:
        return sorted(public)

    return __getattr__, __dir__
