"""breakglass: govern the emergency access accounts of a Microsoft Entra ID tenant.

Importing this package does no work and does not import ``msgraph`` (DESIGN §2).
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
