"""E-mail: rendered from templates in the recipient's language, sent by the worker.

Mails carry no full ID number, birth date or password: links instead.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from libcard.core.tasks import deliver, send_mail_task


def render_mail(template: str, context: dict[str, object]) -> tuple[str, str]:
    """(subject, body) from ``mail/<template>.subject.txt`` and ``mail/<template>.txt``."""
    context = {
        "library_name": settings.LIBRARY_NAME,
        "library_contact": settings.LIBRARY_CONTACT,
        "site_url": settings.SITE_URL,
        **context,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"mail/{template}.subject.txt", context).strip()
        body = render_to_string(f"mail/{template}.txt", context)
    return " ".join(subject.split()), body


def send_later(to: str, template: str, context: dict[str, object]) -> None:
    """Queue a mail for the worker, once the surrounding transaction has committed."""
    subject, body = render_mail(template, context)
    transaction.on_commit(lambda: send_mail_task.enqueue(to, subject, body))


def send_now(to: str, template: str, context: dict[str, object]) -> None:
    """For code that already runs in the worker."""
    subject, body = render_mail(template, context)
    deliver(to, subject, body)
