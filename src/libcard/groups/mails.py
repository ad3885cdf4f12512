"""What the contact person is told by e-mail, and the one-time sign-up link it carries."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

from libcard.core.mail import send_later
from libcard.groups.models import ContactPerson, GroupApplication

SIGNUP_SALT = "libcard.groups.signup"


def signup_token(contact: ContactPerson) -> str:
    return signing.dumps({"c": contact.pk, "e": contact.email.lower()}, salt=SIGNUP_SALT)


def contact_from_signup_token(token: str) -> ContactPerson | None:
    """The contact a sign-up link was made for, while it is unused, current and not too old."""
    try:
        data = signing.loads(
            token, salt=SIGNUP_SALT, max_age=dt.timedelta(days=settings.SIGNUP_LINK_DAYS)
        )
    except signing.BadSignature:
        return None
    contact = ContactPerson.objects.filter(pk=data.get("c"), ended_on__isnull=True).first()
    if contact is None or contact.user_id or contact.email.lower() != data.get("e"):
        return None
    return contact


def portal_context(application: GroupApplication) -> dict[str, object]:
    contact = application.contact
    context: dict[str, object] = {
        "application": application,
        "institution": application.institution,
        "contact": contact,
        "portal_url": settings.SITE_URL + reverse("portal:home"),
        "login_url": settings.SITE_URL + reverse("portal:login"),
        "template_xlsx_url": settings.SITE_URL + reverse("front:template", args=["xlsx"]),
        "template_ods_url": settings.SITE_URL + reverse("front:template", args=["ods"]),
        "application_url": settings.SITE_URL + reverse("portal:application", args=[application.pk]),
    }
    if not contact.user_id:
        context["signup_url"] = settings.SITE_URL + reverse(
            "portal:signup", args=[signup_token(contact)]
        )
    return context


def mail_contact(application: GroupApplication, template: str, **extra: object) -> None:
    send_later(application.contact.email, template, {**portal_context(application), **extra})
