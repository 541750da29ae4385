"""The breakglass HTTP service, built by ``create_app(settings)``.

Installed as ``breakglass_api`` (the folder is ``api/``; pyproject maps it), so an
installed breakglass never claims the top-level name ``api``. Imports inside are relative.

So far it serves the probes an orchestrator needs; the authenticated ``/api/v1`` routers
and the web pages come with the service work. Nothing is created at import time.
"""

from __future__ import annotations

from ._app import create_app

__all__ = ["create_app"]
