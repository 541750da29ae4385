"""Data shipped with breakglass: the ``runbooks/`` and ``templates/`` folders.

A checkout has them at the repository root; an installed wheel carries them inside the
package as ``breakglass/_data/<name>`` (see setup.py). ``data_dir`` finds either, so
``pip install .`` and then ``breakglass demo`` from another directory still works.
"""

from __future__ import annotations

from pathlib import Path

import breakglass
from breakglass.errors import ConfigError

__all__ = ["data_dir"]


def data_dir(name: str) -> Path:
    """The shipped data folder ``name`` (``runbooks``, ``templates``).

    Raises ``ConfigError`` when neither place has it (an incomplete installation).
    """
    package_root = Path(breakglass.__file__).parent
    for candidate in (package_root / "_data" / name, package_root.parent / name):
        if candidate.is_dir():
            return candidate
    raise ConfigError(
        f"data folder {name!r} not found under {package_root / '_data'} or "
        f"{package_root.parent} (is breakglass installed completely?)"
    )
