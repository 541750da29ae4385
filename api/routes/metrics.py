"""``GET /metrics``: Prometheus text, ``breakglass_`` series, no secrets.

Two sources, rendered together: the process's collectors (``breakglass.metrics``: job
runs and durations, poll duration, last successful poll, leader, Graph responses) and the
gauges read from the database at scrape time (below), so every replica reports the same
database figures whichever one runs the jobs. Open by default; with ``[service]
metrics_token`` set, a scrape needs ``Authorization: Bearer <metrics_token>``.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from breakglass import notify, reviews
from breakglass._time import utcnow
from breakglass.config import Settings
from breakglass.errors import StoreError
from breakglass.store import Store
from breakglass.store.runs import finding_counts

from ..problems import Problem

__all__ = ["DatabaseCollector", "router"]

router = APIRouter(include_in_schema=False)


class DatabaseCollector(Collector):
    """What the database holds, read at each scrape (a handful of grouped counts)."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def collect(self) -> Iterator[Metric]:
        store: Store = self._app.state.store
        settings: Settings = self._app.state.settings
        up = GaugeMetricFamily(
            "breakglass_database_up", "1 when the database answered this scrape's queries."
        )
        try:
            with store.session() as session:
                states, overdue = reviews.review_counts(session, settings, utcnow())
                signins = reviews.signin_counts(session, settings)
                findings = finding_counts(session=session, tenant_id=settings.tenant.id)
                backlog = notify.backlog(session, settings)
        except (StoreError, SQLAlchemyError):
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        total = CounterMetricFamily(
            "breakglass_signins",
            "Sign-ins of the emergency accounts stored by the watcher, by result.",
            labels=["result"],
        )
        total.add_metric(["success"], signins[True])
        total.add_metric(["failure"], signins[False])
        yield total
        by_state = GaugeMetricFamily(
            "breakglass_reviews", "After-action reviews by state.", labels=["state"]
        )
        for state, count in states.items():
            by_state.add_metric([state], count)
        yield by_state
        yield GaugeMetricFamily(
            "breakglass_reviews_overdue",
            "Reviews past their submission or approval deadline.",
            value=overdue,
        )
        found = GaugeMetricFamily(
            "breakglass_findings",
            "Findings of the latest check run by severity and status.",
            labels=["severity", "status"],
        )
        for (severity, status), count in sorted(findings.items()):
            found.add_metric([severity, status], count)
        yield found
        yield GaugeMetricFamily(
            "breakglass_outbox_pending",
            "Notification deliveries waiting to be sent (pending or being sent).",
            value=backlog["pending"] + backlog["sending"],
        )
        yield GaugeMetricFamily(
            "breakglass_outbox_dead",
            "Notification deliveries given up after the last attempt (re-queue them).",
            value=backlog["dead"],
        )


class _ProcessCollector(Collector):
    """This process's collectors (``breakglass.metrics``), in the same exposition."""

    def collect(self) -> Iterator[Metric]:
        from breakglass.metrics import process_registry

        yield from process_registry().collect()


def _registry(app: FastAPI) -> CollectorRegistry:
    """One registry per app: the process's collectors and this app's database gauges."""
    registry: CollectorRegistry | None = getattr(app.state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_ProcessCollector())
        registry.register(DatabaseCollector(app))
        app.state.metrics_registry = registry
    return registry


def _authorised(request: Request, settings: Settings) -> None:
    """The metrics token, when one is set. A wrong token counts as a failed authentication
    of the client address (the API's limit): past it, 429 with Retry-After."""
    from ..auth import count_failure, refuse_if_limited

    token = settings.service.metrics_token
    if token is None:
        return
    refuse_if_limited(request)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    expected = token.get_secret_value().encode("utf-8")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        if "authorization" in request.headers:  # a wrong guess, not a scraper without one
            count_failure(request)
        raise Problem(
            401,
            "this /metrics needs 'Authorization: Bearer <metrics_token>'",
            type_="unauthorized",
            headers={"WWW-Authenticate": 'Bearer realm="breakglass-metrics"'},
        )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    _authorised(request, settings)
    # Prometheus text or OpenMetrics, as the scraper's Accept header asks.
    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(_registry(request.app)), headers={"Content-Type": content_type})
