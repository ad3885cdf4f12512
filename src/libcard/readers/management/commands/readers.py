"""`libcard readers reset-password ID`: a new initial password, printed once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from libcard.core.audit import Actor
from libcard.readers.services import reader_by_number, reader_reset_password


class Command(BaseCommand):
    help = "Reader accounts from the shell."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        reset = sub.add_parser("reset-password", help="give a reader a new initial password")
        reset.add_argument("id_number")

    def handle(self, *args: object, **options: object) -> None:
        reader = reader_by_number(str(options["id_number"]))
        if reader is None:
            raise CommandError("查無此讀者 / no reader with this ID number")
        secret = reader_reset_password(
            actor=Actor("operator", label="cli", channel="cli"), reader=reader
        )
        self.stdout.write(f"{reader.name} ({reader.id_masked})")
        self.stdout.write(
            f"新的預設密碼（只顯示這一次）new initial password (shown only now): {secret}"
        )
        self.stdout.write(
            f"有效至 valid until {reader.initial_expires_at:%Y-%m-%d}; 讀者首次登入須變更密碼 "
            "the reader must change it at the first login."
        )
