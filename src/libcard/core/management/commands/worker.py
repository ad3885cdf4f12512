"""`libcard worker`: the background worker — queued tasks and the periodic jobs.

It runs django-tasks-db's database worker in this process and, in a second
thread, the periodic jobs (libcard.core.periodic). SIGTERM lets the running
task finish and stops cleanly; any number of workers may run at once.
"""

from __future__ import annotations

import logging
import threading

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from libcard.core.periodic import run_due

logger = logging.getLogger("libcard.worker")


class Command(BaseCommand):
    help = "Run the background worker: queued tasks and periodic jobs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="poll interval, seconds")
        parser.add_argument(
            "--periodic-interval", type=float, default=60.0, help="seconds between periodic checks"
        )
        parser.add_argument("--no-periodic", action="store_true", help="only queued tasks")
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")

    def handle(self, *args: object, **options: object) -> None:
        stop = threading.Event()
        if not options["no_periodic"] and not options["batch"]:
            thread = threading.Thread(
                target=self._periodic,
                args=(stop, float(options["periodic_interval"])),  # type: ignore[arg-type]
                name="periodic",
                daemon=True,
            )
            thread.start()
        worker_options: dict[str, object] = {
            "interval": options["interval"],
            "reload": False,
            "queue_name": "*",
            "verbosity": options.get("verbosity", 1),
        }
        if options["batch"]:
            worker_options["batch"] = True
            worker_options["startup_delay"] = False
        try:
            call_command("db_worker", **worker_options)
        finally:
            stop.set()

    def _periodic(self, stop: threading.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                ran = run_due()
                if ran:
                    logger.info("periodic jobs run: %s", ", ".join(ran))
            except Exception:  # keep the thread alive whatever a job did
                logger.exception("periodic jobs failed")
            finally:
                close_old_connections()
                connection.close()
            stop.wait(interval)
