"""`libcard retention [--apply]`: what the retention rules would delete; delete with --apply."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from libcard.core.audit import Actor
from libcard.core.retention import apply, plan


class Command(BaseCommand):
    help = "List (and with --apply delete) uploaded files whose retention period is over."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--apply", action="store_true", help="delete what is listed")

    def handle(self, *args: object, **options: object) -> None:
        items = plan()
        for item in items:
            self.stdout.write(f"{item.due_since}\t{item.kind}\t{item.label}")
        if not items:
            self.stdout.write("沒有到期的檔案 nothing is due")
            return
        if not options["apply"]:
            self.stdout.write(
                f"共 {len(items)} 個檔案到期；加上 --apply 才會刪除 "
                f"{len(items)} due; nothing deleted without --apply"
            )
            return
        done = apply(items, actor=Actor("operator", label="cli", channel="cli"))
        self.stdout.write(f"已刪除 deleted {done}")
