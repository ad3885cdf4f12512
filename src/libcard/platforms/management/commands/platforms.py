"""`libcard platforms add NAME [--api] [--sip2-user U] [--allow CIDR …]` and `platforms list`.

The API key is printed once; a SIP2 password is read from standard input (never an argument,
so it stays out of the shell history and the process list).
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from libcard.core.audit import Actor
from libcard.platforms.models import Platform
from libcard.platforms.services import PlatformError, platform_register


class Command(BaseCommand):
    help = "Register platform clients (e-book platforms, databases) and list them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="register a platform")
        add.add_argument("name")
        add.add_argument("--api", action="store_true", help="give it an API key (printed once)")
        add.add_argument(
            "--sip2-user", default="", help="its SIP2 login; the password is read from stdin"
        )
        add.add_argument("--sip2-encoding", default="utf-8", choices=["utf-8", "cp850"])
        add.add_argument("--allow", nargs="+", default=[], metavar="CIDR", help="allowed addresses")
        for attribute in ("name", "email"):
            add.add_argument(f"--may-see-{attribute}", action="store_true")
        sub.add_parser("list", help="platforms, channels, allowed addresses")

    def handle(self, *args: object, **options: object) -> None:
        if options["action"] == "list":
            self._list()
            return
        if not options["api"] and not options["sip2_user"]:
            raise CommandError("給 --api 或 --sip2-user / give --api or --sip2-user")
        password = ""
        if options["sip2_user"]:
            if sys.stdin.isatty():
                self.stderr.write("SIP2 password (at least 12 characters): ", ending="")
            password = sys.stdin.readline().rstrip("\n")
        try:
            registration = platform_register(
                actor=Actor("operator", label="cli", channel="cli"),
                name=str(options["name"]),
                api=bool(options["api"]),
                sip2_user=str(options["sip2_user"]),
                sip2_password=password,
                sip2_encoding=str(options["sip2_encoding"]),
                allow=list(options["allow"]),  # type: ignore[arg-type]
                may={
                    "name": bool(options["may_see_name"]),
                    "email": bool(options["may_see_email"]),
                },
            )
        except PlatformError as error:
            raise CommandError(
                f"無法登錄平台 / cannot register the platform: {error} "
                "(名稱或 SIP2 帳號重複、位址格式錯誤或 SIP2 密碼少於 12 字 / duplicate name or "
                "SIP2 user, a bad address, or a SIP2 password under 12 characters)"
            ) from None
        platform = registration.platform
        self.stdout.write(f"已登錄平台 registered: {platform.name} (id {platform.pk})")
        if registration.api_key:
            self.stdout.write(f"API key（只顯示這一次 shown only now）: {registration.api_key}")
        if platform.sip2_user:
            self.stdout.write(f"SIP2 user: {platform.sip2_user} ({platform.sip2_encoding})")
        self.stdout.write(
            f"allowed: {', '.join(n for n in platform.allowed_networks.split()) or '—'}"
        )

    def _list(self) -> None:
        for platform in Platform.objects.order_by("name"):
            channels = [
                c
                for c, on in (("api", platform.api_enabled), ("sip2", platform.sip2_enabled))
                if on
            ]
            networks = ", ".join(platform.allowed_networks.split()) or "—"
            state = "" if platform.active else " (停用 inactive)"
            self.stdout.write(
                f"{platform.pk}\t{platform.name}{state}\t{'+'.join(channels) or '—'}\t{networks}"
            )
