"""Staff admin pages of the core: the library's closing days, and the audit log (read-only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from libcard.accounts.roles import ADMIN, staff_required
from libcard.accounts.staff_auth import staff_render
from libcard.core.audit import Actor
from libcard.core.models import AuditEntry, CalendarSettings, Closure
from libcard.core.services import closed_weekday_set, closure_add, closure_remove

PAGE_SIZE = 50
PAST_CLOSURES_SHOWN = 60
NO_WEEKLY_CLOSING = "none"
WEEKDAY_CHOICES = [
    ("0", gettext_lazy("Monday")),
    ("1", gettext_lazy("Tuesday")),
    ("2", gettext_lazy("Wednesday")),
    ("3", gettext_lazy("Thursday")),
    ("4", gettext_lazy("Friday")),
    ("5", gettext_lazy("Saturday")),
    ("6", gettext_lazy("Sunday")),
    (NO_WEEKLY_CLOSING, gettext_lazy("No weekly closing day")),
]


# -- forms ------------------------------------------------------------------------------------
class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class WeekdayForm(forms.Form):
    weekday = forms.ChoiceField(label=gettext_lazy("Weekly closing day"), choices=WEEKDAY_CHOICES)

    def weekday_value(self) -> int | None:
        value = self.cleaned_data["weekday"]
        return None if value == NO_WEEKLY_CLOSING else int(value)


class ClosureForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Day"), widget=DateInput())
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=200,
        help_text=gettext_lazy("For example: typhoon day, inventory, power outage."),
    )

    def clean_day(self) -> dt.date:
        day = self.cleaned_data["day"]
        if Closure.objects.filter(day=day).exists():
            raise forms.ValidationError(_("This day is already a closure day."))
        return day


class AuditSearchForm(forms.Form):
    action = forms.CharField(
        label=gettext_lazy("Action"),
        max_length=64,
        required=False,
        help_text=gettext_lazy(
            "The start is enough: “login” finds login.success and login.failure."
        ),
    )
    actor = forms.CharField(label=gettext_lazy("Who"), max_length=150, required=False)
    object_type = forms.CharField(
        label=gettext_lazy("Object type"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("For example groups.groupapplication"),
    )
    object_id = forms.CharField(label=gettext_lazy("Object number"), max_length=64, required=False)
    date_from = forms.DateField(label=gettext_lazy("From date"), required=False, widget=DateInput())
    date_to = forms.DateField(label=gettext_lazy("To date"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


# -- views ------------------------------------------------------------------------------------
def _closures_page(
    request: HttpRequest,
    weekday_form: WeekdayForm | None = None,
    closure_form: ClosureForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    current = CalendarSettings.current().closed_weekday
    return staff_render(
        request,
        "staff/closures.html",
        {
            "weekday_form": weekday_form
            or WeekdayForm(
                initial={"weekday": NO_WEEKLY_CLOSING if current is None else str(current)}
            ),
            "closure_form": closure_form or ClosureForm(),
            "upcoming": Closure.objects.filter(day__gte=today).order_by("day"),
            "past": Closure.objects.filter(day__lt=today).order_by("-day")[:PAST_CLOSURES_SHOWN],
        },
    )


@require_GET
@staff_required(ADMIN)
def closures(request: HttpRequest) -> HttpResponse:
    return _closures_page(request)


@require_POST
@staff_required(ADMIN)
def closed_weekday_change(request: HttpRequest) -> HttpResponse:
    form = WeekdayForm(request.POST)
    if not form.is_valid():
        return _closures_page(request, weekday_form=form)
    closed_weekday_set(actor=Actor.from_request(request), weekday=form.weekday_value())
    messages.success(request, _("The weekly closing day is saved."))
    return redirect("staff:closures")


@require_POST
@staff_required(ADMIN)
def closure_create(request: HttpRequest) -> HttpResponse:
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            closure = closure_add(
                actor=Actor.from_request(request),
                day=form.cleaned_data["day"],
                reason=form.cleaned_data["reason"],
            )
        except IntegrityError:
            form.add_error("day", _("This day is already a closure day."))
        else:
            messages.success(
                request,
                _("%(day)s is now a closure day.") % {"day": closure.day.isoformat()},
            )
            return redirect("staff:closures")
    return _closures_page(request, closure_form=form)


@require_POST
@staff_required(ADMIN)
def closure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    closure = get_object_or_404(Closure, pk=pk)
    day = closure.day
    closure_remove(actor=Actor.from_request(request), closure=closure)
    messages.success(request, _("%(day)s is no longer a closure day.") % {"day": day.isoformat()})
    return redirect("staff:closures")


@require_http_methods(["GET"])
@staff_required(ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    entries = AuditEntry.objects.order_by("-at", "-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["action"].strip():
            entries = entries.filter(action__startswith=data["action"].strip())
        if data["actor"].strip():
            entries = entries.filter(actor_label__icontains=data["actor"].strip())
        if data["object_type"].strip():
            entries = entries.filter(object_type=data["object_type"].strip().lower())
        if data["object_id"].strip():
            entries = entries.filter(object_id=data["object_id"].strip())
        zone = timezone.get_current_timezone()
        if data["date_from"]:
            start = dt.datetime.combine(data["date_from"], dt.time.min, tzinfo=zone)
            entries = entries.filter(at__gte=start)
        if data["date_to"]:
            end = dt.datetime.combine(
                data["date_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=zone
            )
            entries = entries.filter(at__lt=end)
    elif form.is_bound:
        entries = entries.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    return staff_render(request, "staff/audit_log.html", {"form": form, "page": page})
