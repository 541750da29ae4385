"""The breakglass HTTP service (DESIGN §13), built by ``create_app(settings)``.

So far it serves the probes an orchestrator needs; the authenticated ``/api/v1`` routers
and the web pages come with the service work. Nothing is created at import time.
"""

from __future__ import annotations

from api._app import create_app

__all__ = ["create_app"]
