"""`libcard serve`: the laptop setup in one process tree — web app, worker and SIP2 server.

For production run the pieces separately (see the README): gunicorn for the web
app, `libcard worker` (any number) and `libcard sip2`.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the web app, the background worker and the SIP2 server together (for a laptop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--sip2-port", type=int, default=6001)

    def handle(self, *args: Any, **options: Any) -> None:
        libcard = [sys.executable, "-m", "libcard"]
        children = [subprocess.Popen([*libcard, "worker"])]
        if "sip2" in get_commands():
            children.append(
                subprocess.Popen(
                    [
                        *libcard,
                        "sip2",
                        "--host",
                        options["host"],
                        "--port",
                        str(options["sip2_port"]),
                    ]
                )
            )
        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            f"\nlibcard is starting:\n"
            f"  web app      {url}\n"
            f"  staff        {url}staff/\n"
            f"  portal       {url}portal/\n"
            f"  SIP2         {options['host']}:{options['sip2_port']}\n"
            f"  e-mails      {settings.EMAIL_FILE_PATH}\n"
            f"  (Ctrl-C stops everything)\n\n"
        )

        def stop(*_args: object) -> None:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *_a: (stop(), sys.exit(0)))
        try:
            call_command("runserver", f"{options['host']}:{options['port']}", use_reloader=False)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
