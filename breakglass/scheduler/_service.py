"""``run_service``: the API and console under uvicorn, and this replica's scheduler.

The one place where the core starts the HTTP app; the app itself lives in
``breakglass_api`` (the ``api/`` folder) and is loaded here by name, so nothing in
``breakglass`` imports the web framework. Start-up order, each step refusing cleanly:

1. open the store: an un-migrated database is refused (``StoreError`` naming
   ``breakglass db upgrade``);
2. SQLite: take the database file's serve lock (``ServiceError`` if another process serves it);
3. listen on host:port (``ServiceError`` if the address is taken);
4. start the scheduler (the leader runs the first poll and check at once), then uvicorn.

SIGTERM or SIGINT: uvicorn stops accepting and finishes open requests; the scheduler stops
scheduling, lets running jobs finish for ``shutdown_grace`` seconds (then abandons them:
nothing is lost, the poll's watermark only moves in its commit), writes an audit
checkpoint if this replica leads, releases the leadership; the call returns 0. A second
signal stops waiting. uvicorn's access log stays off: the sign-in callback's query
carries an authorization code.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import structlog
import uvicorn

from breakglass.config import Settings
from breakglass.errors import ServiceError
from breakglass.exitcodes import ExitCode
from breakglass.scheduler._leader import leadership_for
from breakglass.scheduler._state import ServiceState, default_replica

__all__ = ["run_service"]

log = structlog.get_logger("breakglass.scheduler")

#: Seconds uvicorn waits for open requests after a stop signal.
_REQUESTS_GRACE = 10


def run_service(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    stop_after: float | None = None,
    ready_callback: Callable[[str], None] | None = None,
    shutdown_grace: float = 20.0,
) -> int:
    """Serve until SIGTERM/SIGINT (or ``stop_after`` seconds); the exit code (0).

    ``host``/``port`` default to ``[service]``; port 0 picks a free one.
    ``ready_callback(url)`` is called once the server accepts connections, with the URL it
    listens on (``http://host:port``). The settings handed to the app carry the real
    address, so URLs built from ``service.base_url`` are right.
    """
    from breakglass.store import Store

    host = host if host is not None else settings.service.host
    port = port if port is not None else settings.service.port
    with ExitStack() as stack:
        store = stack.enter_context(Store.open(settings.store_url))
        replica = default_replica()
        leadership = leadership_for(store, settings.tenant.id, replica)
        leadership.reserve()
        stack.callback(leadership.release)
        sock = _listen(host, port)
        stack.callback(sock.close)
        bound = int(sock.getsockname()[1])
        settings = _at_address(settings, host, bound)
        url = f"http://{_url_host(host)}:{bound}"
        state = ServiceState(store, settings, replica=replica, leadership=leadership)
        server = _Server(
            uvicorn.Config(
                _create_app(settings, store, state),
                log_config=None,
                access_log=False,
                server_header=False,
                timeout_graceful_shutdown=_REQUESTS_GRACE,
            )
        )
        if ready_callback is not None:
            server.on_ready = lambda: ready_callback(url)
        log.info("serve.starting", url=url, replica=replica, database=store.url)
        with _stop_signals(server, state), _stop_timer(server, stop_after):
            state.start()
            try:
                server.run(sockets=[sock])
            finally:
                state.stop(grace=shutdown_grace, checkpoint=True)
    return int(ExitCode.OK)


def _create_app(settings: Settings, store: Any, state: ServiceState) -> Any:
    create_app = importlib.import_module("breakglass_api").create_app
    return create_app(settings, store=store, service=state)


def _at_address(settings: Settings, host: str, port: int) -> Settings:
    service = settings.service.model_copy(update={"host": host, "port": port})
    return settings.model_copy(update={"service": service})


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):  # noqa: S104 - naming the wildcard, not binding it
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or ``ServiceError`` saying why not."""
    try:
        family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        # create_server appends the address to strerror; the errno's own text is enough.
        reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror
        raise ServiceError(f"cannot listen on {host}:{port}: {reason}") from None


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handling (``run_service`` owns the signals:
    uvicorn re-raises the signal after its shutdown, which would end the process before
    the scheduler's checkpoint), with a callback once it accepts connections."""

    on_ready: Callable[[], None] | None = None

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.on_ready is not None:
            self.on_ready()

    def request_stop(self) -> None:
        if self.should_exit:
            self.force_exit = True  # a second request: stop waiting for open connections
        self.should_exit = True


@contextmanager
def _stop_signals(server: _Server, state: ServiceState) -> Iterator[None]:
    """SIGTERM/SIGINT stop the server; a second one also stops waiting for jobs."""
    if threading.current_thread() is not threading.main_thread():
        yield  # embedded in a thread (tests, the demo): stop with stop_after or the caller
        return

    def handle(signum: int, _frame: Any) -> None:
        if server.should_exit:
            state.hurry()
        log.info("serve.stopping", signal=signal.Signals(signum).name)
        server.request_stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextmanager
def _stop_timer(server: _Server, seconds: float | None) -> Iterator[None]:
    if seconds is None:
        yield
        return
    timer = threading.Timer(seconds, server.request_stop)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
