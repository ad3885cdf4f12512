"""Public pages: what the card is, the templates, and "check your reader data file"."""

from __future__ import annotations

import base64

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from libcard.core.http import client_ip
from libcard.core.ratelimit import rate_limit_hit
from libcard.core.uploads import annotated_name, check_upload
from libcard.front.forms import ReaderFileForm
from libcard.readerfile.template import template_ods, template_xlsx

TEMPLATE_TYPES = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", template_xlsx),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", template_ods),
}
XLSX_TYPE = TEMPLATE_TYPES["xlsx"][0]
# Findings shown on the page; the annotated copy carries all of them.
SHOWN_ISSUES = 500


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "front/home.html")


def template_download(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in TEMPLATE_TYPES:
        raise Http404
    content_type, build = TEMPLATE_TYPES[fmt]
    response = HttpResponse(build(), content_type=content_type)
    filename = f"{_('reader-data-file')}.{fmt}"
    response["Content-Disposition"] = _attachment(filename)
    return response


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "ignore").decode() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@require_http_methods(["GET", "POST"])
def check_file_page(request: HttpRequest) -> HttpResponse:
    """Anyone may check a file here; nothing is stored, and each address has a quota."""
    form = ReaderFileForm()
    context: dict[str, object] = {"form": form}
    if request.method == "POST":
        allowed = rate_limit_hit(
            key=f"check:{client_ip(request)}",
            limit=settings.CHECK_PAGE_RATE,
            window_seconds=settings.CHECK_PAGE_WINDOW,
        )
        if not allowed:
            context["throttled"] = True
            return render(request, "front/check.html", context, status=429)
        form = ReaderFileForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            outcome = check_upload(form.cleaned_data["file"])
            context["outcome"] = outcome
            if outcome.report is not None:
                context["issues"] = outcome.report.issues[:SHOWN_ISSUES]
                context["more_issues"] = max(0, len(outcome.report.issues) - SHOWN_ISSUES)
            if outcome.annotated is not None:
                context["annotated_name"] = annotated_name(outcome.filename)
                context["annotated_href"] = (
                    f"data:{XLSX_TYPE};base64,{base64.b64encode(outcome.annotated).decode()}"
                )
    return render(request, "front/check.html", context)
