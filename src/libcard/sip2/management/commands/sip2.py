"""`libcard sip2 [--host H] [--port P]`: the SIP2 server for e-resource platforms.

One process per port, sharing the database with the web app. TLS when SIP2_TLS_CERT and
SIP2_TLS_KEY are both set. SIGTERM (or Ctrl-C) stops accepting, lets the answers being
prepared go out and exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import ssl
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from libcard.sip2.handlers import Session
from libcard.sip2.server import Sip2Server, tls_context


def _session(address: str) -> Session:
    return Session(address=address)


class Command(BaseCommand):
    help = "Run the SIP2 server (defaults 127.0.0.1:6001)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=6001)
        parser.add_argument(
            "--workers",
            type=int,
            default=0,
            help="threads answering requests (default: from the number of CPU cores)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            context = tls_context(
                getattr(settings, "SIP2_TLS_CERT", ""), getattr(settings, "SIP2_TLS_KEY", "")
            )
        except (ValueError, OSError, ssl.SSLError) as error:
            raise CommandError(f"SIP2 TLS 設定錯誤 / bad SIP2 TLS setting: {error}") from None
        if options["port"] < 0 or options["port"] > 65535 or options["workers"] < 0:
            raise CommandError("--port 0–65535, --workers ≥ 0")
        server = Sip2Server(
            host=options["host"],
            port=options["port"],
            session_factory=_session,
            idle_timeout=float(getattr(settings, "SIP2_IDLE_TIMEOUT", 300)),
            max_per_address=int(getattr(settings, "SIP2_MAX_CONNECTIONS_PER_ADDRESS", 20)),
            ssl_context=context,
            workers=options["workers"] or None,
        )
        asyncio.run(self._run(server, tls=context is not None))

    async def _run(self, server: Sip2Server, *, tls: bool) -> None:
        try:
            await server.start()
        except OSError as error:
            raise CommandError(
                f"無法在 {server.host}:{server.port} 監聽 / cannot listen on "
                f"{server.host}:{server.port}: {error.strerror or error}"
            ) from None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, server.request_stop)
        mode = "TLS" if tls else "未加密 plain TCP"
        self.stdout.write(
            f"SIP2 伺服器已啟動 / SIP2 server listening on {server.host}:{server.port} "
            f"({mode}, {server.workers} workers)"
        )
        self.stdout.flush()
        await server.serve()
        self.stdout.write("SIP2 伺服器已停止 / SIP2 server stopped")
