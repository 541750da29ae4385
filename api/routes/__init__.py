"""The ``/api/v1`` REST API, ``/metrics`` and ``/docs``.

One router per resource (``status``, ``accounts``, ``findings`` and runs, ``signins``,
``reviews``, ``drills``, ``runbooks``, ``audit``, ``notifications``, ``tokens``); bodies in
``api.schemas``; lists paged by ``api.pagination``; errors as problem+json
(``api.problems``, which also maps the domain errors). Every route needs an authenticated
principal; reads need any role, changes their own (``_common``):

=========  ==================================================================
viewer     every GET, ``POST /runbooks/verify``
operator   ``POST /reviews/{id}/submit``, ``POST /runs``, ``POST /drills``
approver   ``POST /reviews/{id}/approve|reopen|close``
admin      ``POST /runbooks``, ``/tokens``, ``POST /notifications/test`` and
           ``POST /notifications/{id}/retry``
=========  ==================================================================

Routes that read Microsoft Graph or sign (submit, close, ``POST /runs``, ``POST /runbooks``)
and every route that touches the database are plain ``def``: FastAPI runs them in its
thread pool, so a slow Graph read never blocks the event loop.
"""

from __future__ import annotations

from fastapi import FastAPI

from . import (
    accounts,
    audit,
    docs,
    drills,
    findings,
    metrics,
    notifications,
    reviews,
    runbooks,
    signins,
    status,
    tokens,
)

__all__ = ["API_PREFIX", "mount"]

API_PREFIX = "/api/v1"


def mount(app: FastAPI) -> None:
    """Add the API routers, ``/metrics`` and ``/docs`` to ``app``."""
    for module in (
        status,
        accounts,
        findings,
        signins,
        reviews,
        drills,
        runbooks,
        audit,
        notifications,
        tokens,
    ):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(metrics.router)
    docs.install(app)
