"""`libcard cardholders load FILE --source NAME`: existing cardholders from the ILS or the city
network — a CSV/TXT/XLSX of ID numbers, or of their keyed hashes (HMAC-SHA256 hex)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from libcard.core.audit import Actor
from libcard.readers.cardholder_files import ListUnreadable, list_values
from libcard.readers.services import cardholder_list_load


class Command(BaseCommand):
    help = "Load a list of existing cardholders."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load")
        load.add_argument("file")
        load.add_argument("--source", required=True, help="e.g. 本館 ILS, 臺中市立圖書館")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        try:
            values = list_values(path.read_bytes(), path.name)
        except OSError as error:
            raise CommandError(f"無法讀取 cannot read {path}: {error.strerror}") from None
        except ListUnreadable as error:
            raise CommandError(str(error)) from None
        result = cardholder_list_load(
            actor=Actor("operator", label="cli", channel="cli"),
            source=str(options["source"]),
            values=values,
            original_name=path.name,
        )
        self.stdout.write(
            f"已載入 loaded {result.loaded} 位持證人 cardholders from {path.name}"
            f"（略過 skipped {result.skipped} 列無效資料 invalid lines）"
        )
