"""`libcard keys rotate` re-encrypts personal data under the newest key; `keys new` prints one."""

import base64
import os

from django.core.management.base import BaseCommand, CommandParser

from libcard.core.audit import Actor, audit
from libcard.core.keys import rotate


class Command(BaseCommand):
    help = "Encryption keys: `rotate` re-encrypts everything under the first LIBCARD_DATA_KEYS key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rotate", "new"])

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "new":
            self.stdout.write(base64.b64encode(os.urandom(32)).decode())
            return
        report = rotate()
        audit(Actor("operator", label="cli", channel="cli"), "keys.rotate", **report.values)
        for label, count in report.values.items():
            self.stdout.write(f"{label}: {count} 筆重新加密 re-encrypted")
        self.stdout.write(f"files: {report.files} 個檔案重新加密 re-encrypted")
