"""The public side, mounted at /apply/: choose, fill in, confirm the e-mail, look up the state;
or sign with the Citizen Digital Certificate and get the card at once.

Views are thin: a form, one service from libcard.individual.services, a page.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from libcard.core.audit import Actor, audit
from libcard.core.http import client_ip
from libcard.core.ratelimit import rate_limit_hit
from libcard.identity.certificate import CertificateRefused
from libcard.individual import cdc
from libcard.individual.forms import CertificateForm, DocumentsForm
from libcard.individual.models import DOCUMENTS_FOR, ApplicantType, DocumentKind
from libcard.individual.selectors import deadline_of
from libcard.individual.services import (
    ApplicationError,
    TransitionNotAllowed,
    application_certificate,
    application_confirm_email,
    application_from_confirm_token,
    application_from_status_token,
    application_submit,
    confirm_days,
    review_working_days,
    status_token,
)
from libcard.individual.uploads import max_bytes

# Per client address and hour: enough for a family at one address, not for a script
# trying ID numbers to learn who holds a card.
APPLY_RATE = 20
CERTIFICATE_RATE = 20
RATE_WINDOW = 3600
SENT_KEY = "individual_sent"
ISSUED_KEY = "individual_issued"


def _actor(request: HttpRequest, label: str = "") -> Actor:
    return Actor("applicant", "", label, channel="web", ip=client_ip(request))


def mask_email(email: str) -> str:
    local, _at, domain = email.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"


def _notice_context() -> dict[str, object]:
    return {
        "retention_days": settings.RETENTION_IDENTITY_IMAGE_DAYS,
        "review_days": review_working_days(),
    }


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    types = [
        (value, label, [DocumentKind(kind).label for kind in DOCUMENTS_FOR[value]])
        for value, label in ApplicantType.choices
    ]
    return render(
        request,
        "individual/start.html",
        {
            "types": types,
            "certificate_available": cdc.certificate_available(),
            **_notice_context(),
        },
    )


@sensitive_post_parameters("national_id", "birth_date")
@never_cache
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, applicant_type: str) -> HttpResponse:
    if applicant_type not in ApplicantType.values:
        raise Http404
    status = 200
    rate_limited = False
    if request.method != "POST":
        form = DocumentsForm(applicant_type=applicant_type)
    elif not rate_limit_hit(
        key=f"individual:apply:{client_ip(request)}", limit=APPLY_RATE, window_seconds=RATE_WINDOW
    ):
        # Nothing is judged, so a script learns nothing about the numbers it tries.
        form = DocumentsForm(applicant_type=applicant_type)
        rate_limited, status = True, 429
    else:
        form = DocumentsForm(request.POST, request.FILES, applicant_type=applicant_type)
        if form.is_valid():
            try:
                application = application_submit(
                    actor=_actor(request), data=form.applicant_data(), documents=form.documents
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                request.session[SENT_KEY] = {
                    "email": mask_email(application.email),
                    "reference": application.reference,
                    "warnings": form.warnings,
                }
                return redirect("individual:sent")
    return render(
        request,
        "individual/form.html",
        {
            "form": form,
            "applicant_type": applicant_type,
            "type_label": ApplicantType(applicant_type).label,
            "has_files": request.method == "POST",
            "rate_limited": rate_limited,
            "max_mb": max_bytes() // (1024 * 1024),
            **_notice_context(),
        },
        status=status,
    )


@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    info = request.session.get(SENT_KEY)
    if not info:
        return redirect("individual:start")
    return render(request, "individual/sent.html", {"info": info, **_notice_context()})


@never_cache
@require_GET
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    application = application_from_confirm_token(token)
    if application is None:
        return render(request, "individual/link_invalid.html", status=404)
    try:
        application_confirm_email(
            actor=_actor(request, application.id_masked), application=application
        )
    except TransitionNotAllowed:
        pass  # followed twice, or too late: the status page says which
    return redirect("individual:status", token=status_token(application))


@never_cache
@require_GET
def status(request: HttpRequest, token: str) -> HttpResponse:
    application = application_from_status_token(token)
    if application is None:
        return render(request, "individual/link_invalid.html", status=404)
    return render(
        request,
        "individual/status.html",
        {
            "application": application,
            "deadline": deadline_of(application),
            "confirm_days": confirm_days(),
            **_notice_context(),
        },
    )


def _certificate_page(
    request: HttpRequest, form: CertificateForm, *, status: int = 200, refusal: str = ""
) -> HttpResponse:
    response = render(
        request,
        "individual/certificate.html",
        {
            "form": form,
            "nonce": cdc.nonce_issue(request),
            "hipki_origin": cdc.HIPKI_ORIGIN,
            "refusal": refusal,
            **_notice_context(),
        },
        status=status,
    )
    response.csp = cdc.page_csp()  # type: ignore[attr-defined]
    # HiPKI's popup answers through window.opener, which "same-origin" would cut off.
    response["Cross-Origin-Opener-Policy"] = "same-origin-allow-popups"
    return response


@sensitive_post_parameters("national_id", "birth_date", "signature")
@never_cache
@require_http_methods(["GET", "POST"])
def certificate(request: HttpRequest) -> HttpResponse:
    if not cdc.certificate_available():
        return render(request, "individual/certificate_unavailable.html")
    if request.method != "POST":
        return _certificate_page(request, CertificateForm())
    form = CertificateForm(request.POST)
    if not form.is_valid():
        return _certificate_page(request, form)
    signature = (request.POST.get("signature") or "").strip()
    nonce = request.POST.get("nonce") or ""
    if not signature:
        form.add_error(
            None, _("Please sign with your card first (the “Sign with my card” button).")
        )
        return _certificate_page(request, form)
    actor = _actor(request)
    if not rate_limit_hit(
        key=f"individual:certificate:{client_ip(request)}",
        limit=CERTIFICATE_RATE,
        window_seconds=RATE_WINDOW,
    ):
        form.add_error(None, _("Too many attempts from here; please try again in an hour."))
        return _certificate_page(request, form, status=429)
    if not cdc.nonce_consume(request, nonce):
        audit(actor, "individual.certificate_refused", reason="nonce")
        form.add_error(None, cdc.NONCE_REFUSED)
        return _certificate_page(request, form, refusal="nonce")
    try:
        signer = cdc.signer_verify(signature, nonce)
        application = application_certificate(
            actor=actor, data=form.applicant_data(), signer=signer
        )
    except CertificateRefused as refused:
        audit(actor, "individual.certificate_refused", reason=str(refused.code))
        form.add_error(None, str(cdc.REFUSAL_MESSAGES.get(refused.code, cdc.NONCE_REFUSED)))
        return _certificate_page(request, form, refusal=str(refused.code))
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _certificate_page(request, form)
    request.session[ISSUED_KEY] = {
        "email": mask_email(application.email),
        "reference": application.reference,
        "account": application.id_masked,
    }
    return redirect("individual:certificate_done")


@require_GET
def certificate_done(request: HttpRequest) -> HttpResponse:
    info = request.session.get(ISSUED_KEY)
    if not info:
        return redirect("individual:start")
    return render(request, "individual/certificate_done.html", {"info": info})
