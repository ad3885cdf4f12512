"""The ``libcard`` command: our own subcommands and every Django management command.

``check-readers`` runs without Django (no settings, no database); everything
else goes through Django's command machinery, so ``libcard migrate`` works as
``manage.py migrate`` would.
"""

from __future__ import annotations

import os
import sys

# Subcommands that need no Django at all, for a fast start.
PLAIN_COMMANDS = {"check-readers": "libcard.readerfile.cli"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PLAIN_COMMANDS:
        import importlib

        module = importlib.import_module(PLAIN_COMMANDS[argv[0]])
        try:
            return module.main(argv[1:])
        except KeyboardInterrupt:
            return 130
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "libcard.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["libcard", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
