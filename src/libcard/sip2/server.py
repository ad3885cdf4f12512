"""The SIP2 server: asyncio for the connections, a thread pool for the answers.

One asyncio loop accepts connections, reads, frames (``protocol.split_messages``) and writes;
each message is answered by ``handlers.Session.handle`` in a worker thread, because an answer
needs the database and one argon2id verification (argon2-cffi releases the GIL, so the threads
verify in parallel). One connection's messages are answered in order; different connections
run concurrently, as many at a time as there are workers.

Robustness, because every byte comes from outside:
- a connection limit per client address, counted before the TLS handshake;
- an idle timeout (no complete message for SIP2_IDLE_TIMEOUT seconds: closed), which also
  bounds the TLS handshake and a client that stops reading our answers;
- a maximum message length: a client that never sends CR is cut off, not buffered;
- nothing a client sends can raise out of a connection's task; other connections go on.

``stop()`` (SIGTERM, SIGINT) stops accepting, closes idle connections, lets the requests that
are being answered finish and their answers go out, then closes the rest.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import logging
import os
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from libcard.sip2.protocol import DEFAULT_MAX_LENGTH, split_messages

logger = logging.getLogger("libcard.sip2")

READ_SIZE = 16 * 1024
BACKLOG = 1024


class ReplyLike(Protocol):
    @property
    def data(self) -> bytes: ...
    @property
    def close(self) -> bool: ...


class Handler(Protocol):
    """What the server needs of a session (``handlers.Session``; a stub in tests)."""

    def handle(self, raw: bytes) -> ReplyLike: ...


def worker_count() -> int:
    """Threads for answers: argon2id is CPU work, so the cores this process may use, and a few
    more to keep them busy while others wait on the database. Each thread holds a database
    connection and, while verifying, READER_ARGON2_MEMORY_KIB of memory, hence the cap (the
    GIL-bound Python part of an answer keeps one process from using many more cores anyway)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(4, min(32, cores + 4))


def peer_address(peer: object) -> str:
    """The client's IP address as platforms' allowed networks are written: an IPv4 client of a
    dual-stack listener ("::") arrives as ::ffff:a.b.c.d and is checked as a.b.c.d."""
    if not isinstance(peer, tuple) or not peer:
        return ""
    text = str(peer[0])
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def tls_context(cert: str, key: str) -> ssl.SSLContext | None:
    """A server context when both paths are set; None for plain TCP; ValueError for one only."""
    if not cert and not key:
        return None
    if not (cert and key):
        raise ValueError("SIP2_TLS_CERT and SIP2_TLS_KEY go together")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


@dataclass(eq=False)
class _Connection:
    address: str
    task: asyncio.Task[None] | None
    idle: bool = True  # waiting for the client, not answering


@dataclass
class Stats:
    accepted: int = 0
    refused: int = 0  # over the per-address limit, or while stopping
    messages: int = 0
    per_address: collections.Counter[str] = field(default_factory=collections.Counter)


def _answer_in_thread(session: Handler, raw: bytes) -> ReplyLike:
    # What Django's request_started/finished signals do for a web request: drop a database
    # connection that is broken or past CONN_MAX_AGE, so a restarted database heals itself.
    from django.db import close_old_connections

    close_old_connections()
    try:
        return session.handle(raw)
    finally:
        close_old_connections()


class Sip2Server:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        session_factory: Callable[[str], Handler],
        idle_timeout: float = 300.0,
        max_per_address: int = 20,
        max_message: int = DEFAULT_MAX_LENGTH,
        ssl_context: ssl.SSLContext | None = None,
        workers: int | None = None,
        grace: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.session_factory = session_factory
        self.idle_timeout = idle_timeout
        self.max_per_address = max_per_address
        self.max_message = max_message
        self.ssl_context = ssl_context
        self.grace = grace
        self.workers = workers or worker_count()
        self.stats = Stats()
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="sip2")
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._stopping = False
        self._stopped: asyncio.Event | None = None
        self._stop_task: asyncio.Task[None] | None = None

    # --- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        self._stopped = asyncio.Event()
        self._server = await asyncio.start_server(
            self._accept, self.host, self.port, backlog=BACKLOG, limit=READ_SIZE
        )
        sockets = self._server.sockets or ()
        if sockets:
            self.port = sockets[0].getsockname()[1]  # the real one when asked for port 0

    async def serve(self) -> None:
        """Run until ``stop()`` has finished."""
        if self._server is None:
            await self.start()
        assert self._stopped is not None
        await self._stopped.wait()

    def request_stop(self) -> None:
        """For a signal handler: start stopping without waiting."""
        if not self._stopping and self._stop_task is None:
            # Keep a reference: the loop holds tasks only weakly.
            self._stop_task = asyncio.get_running_loop().create_task(self.stop())

    async def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        logger.info("sip2: stopping (%d connections open)", len(self._connections))
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            if connection.idle and connection.task is not None:
                connection.task.cancel()
        tasks = [c.task for c in self._connections if c.task is not None]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=self.grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        # Each worker thread closes its own database connection (Django's are per thread),
        # then the pool ends; threads still answering a cancelled connection finish first.
        await asyncio.get_running_loop().run_in_executor(None, self._shutdown_workers)
        if self._stopped is not None:
            self._stopped.set()
        logger.info("sip2: stopped")

    def _shutdown_workers(self) -> None:
        # The barrier holds every thread that took a task until all have: so each of the
        # pool's threads runs exactly one of them.
        barrier = threading.Barrier(self.workers)

        def close_own_connection() -> None:
            from django.db import connections

            connections.close_all()
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=5)

        for _ in range(self.workers):
            self._executor.submit(close_own_connection)
        self._executor.shutdown(wait=True)

    # --- connections ----------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = peer_address(writer.get_extra_info("peername"))
        if self._stopping or self.stats.per_address[address] >= self.max_per_address:
            self.stats.refused += 1
            if not self._stopping:
                logger.warning(
                    "sip2 %s: refused, already %d connections from this address",
                    address,
                    self.stats.per_address[address],
                )
            writer.close()
            return
        self.stats.accepted += 1
        self.stats.per_address[address] += 1
        connection = _Connection(address, asyncio.current_task())
        self._connections.add(connection)
        logger.debug("sip2 %s: connected", address)
        try:
            if self.ssl_context is not None:
                # Not inside wait_for: on Python 3.11 that stalls the handshake for good.
                await writer.start_tls(
                    self.ssl_context, ssl_handshake_timeout=min(self.idle_timeout, 30)
                )
            await self._converse(connection, reader, writer)
        except (TimeoutError, ConnectionError, ssl.SSLError, OSError) as error:
            logger.info("sip2 %s: connection ended (%s)", address, type(error).__name__)
        except asyncio.CancelledError:
            pass  # stopping; the finally below closes
        except Exception:  # a bug of ours: this connection ends, the server goes on
            logger.exception("sip2 %s: connection failed", address)
        finally:
            self._connections.discard(connection)
            self.stats.per_address[address] -= 1
            if self.stats.per_address[address] <= 0:
                del self.stats.per_address[address]
            await self._close(writer)
            logger.debug("sip2 %s: closed", address)

    async def _converse(
        self, connection: _Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        loop = asyncio.get_running_loop()
        session = self.session_factory(connection.address)
        buffer = b""
        while not self._stopping:
            connection.idle = True
            try:
                chunk = await asyncio.wait_for(reader.read(READ_SIZE), timeout=self.idle_timeout)
            except TimeoutError:
                logger.info("sip2 %s: idle for %ss, closed", connection.address, self.idle_timeout)
                return
            connection.idle = False
            if not chunk:
                return
            frames = split_messages(buffer + chunk, max_length=self.max_message)
            buffer = frames.rest
            for raw in frames.messages:
                self.stats.messages += 1
                reply = await loop.run_in_executor(self._executor, _answer_in_thread, session, raw)
                if reply.data:
                    writer.write(reply.data)
                    # A client that stops reading must not hold the connection open for ever.
                    await asyncio.wait_for(writer.drain(), timeout=self.idle_timeout)
                if reply.close or self._stopping:
                    return
            if frames.oversized:
                logger.info(
                    "sip2 %s: message longer than %d bytes, closed",
                    connection.address,
                    self.max_message,
                )
                return

    @staticmethod
    async def _close(writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), timeout=5)
