"""The staff back office, mounted at /staff/. Roles are checked in each view (staff_required)."""

from django.urls import path

from libcard.accounts import staff_auth
from libcard.accounts import staff_views as account_views
from libcard.core import staff_views as core_views
from libcard.groups import staff_views as group_views
from libcard.platforms import staff_views as platform_views
from libcard.readers import staff_views as reader_views

app_name = "staff"
urlpatterns = [
    path("login/", staff_auth.login_view, name="login"),
    path("logout/", staff_auth.logout_view, name="logout"),
    path("login/code/", staff_auth.login_code_view, name="login_code"),
    path("two-factor/", staff_auth.totp_enrol_view, name="totp_enrol"),
    # group applications
    path("", group_views.dashboard, name="dashboard"),
    path("applications/", group_views.application_list, name="applications"),
    path("applications/new/", group_views.application_register_view, name="register"),
    path("applications/<int:pk>/", group_views.application_detail, name="application"),
    path(
        "applications/<int:pk>/approve/",
        group_views.application_approve_view,
        name="application_approve",
    ),
    path(
        "applications/<int:pk>/reject/",
        group_views.application_reject_view,
        name="application_reject",
    ),
    path(
        "applications/<int:pk>/return/",
        group_views.application_return_view,
        name="application_return",
    ),
    path(
        "applications/<int:pk>/issue/",
        group_views.application_issue_view,
        name="application_issue",
    ),
    path(
        "applications/<int:pk>/resume/",
        group_views.application_resume_view,
        name="application_resume",
    ),
    path(
        "applications/<int:pk>/attachments/",
        group_views.attachment_add_view,
        name="attachment_add",
    ),
    path(
        "applications/<int:pk>/attachments/<int:attachment_pk>/",
        group_views.attachment_download,
        name="attachment_download",
    ),
    path(
        "applications/<int:pk>/files/<int:submission_pk>/",
        group_views.submission_detail,
        name="submission",
    ),
    path(
        "applications/<int:pk>/files/<int:submission_pk>/original/",
        group_views.submission_download,
        name="submission_download",
    ),
    path(
        "applications/<int:pk>/files/<int:submission_pk>/annotated/",
        group_views.submission_annotated_download,
        name="submission_annotated",
    ),
    # institutions
    path("institutions/", group_views.institution_list, name="institutions"),
    path("institutions/<int:pk>/", group_views.institution_detail, name="institution"),
    path(
        "institutions/<int:pk>/contact/",
        group_views.institution_contact_change,
        name="institution_contact",
    ),
    # readers (any staff role finds and sees; group staff and admins act)
    path("readers/", reader_views.readers, name="readers"),
    path("readers/<int:pk>/", reader_views.reader_detail, name="reader"),
    path("readers/<int:pk>/reveal/", reader_views.reader_reveal, name="reader_reveal"),
    path(
        "readers/<int:pk>/password/",
        reader_views.reader_password_reset,
        name="reader_password_reset",
    ),
    path(
        "readers/<int:pk>/physical-card/",
        reader_views.card_issue_physical_view,
        name="card_issue_physical",
    ),
    path(
        "readers/<int:pk>/cards/<int:card_pk>/suspend/",
        reader_views.card_suspend_view,
        name="card_suspend",
    ),
    path(
        "readers/<int:pk>/cards/<int:card_pk>/restore/",
        reader_views.card_restore_view,
        name="card_restore",
    ),
    path(
        "readers/<int:pk>/corrections/<int:correction_pk>/",
        reader_views.correction_detail,
        name="correction",
    ),
    # staff admins
    path("throttles/", account_views.throttles, name="throttles"),
    path("throttles/clear/", account_views.throttle_clear, name="throttle_clear"),
    path("staff-accounts/", account_views.staff_users, name="staff_users"),
    path(
        "staff-accounts/<int:pk>/reset-two-factor/",
        account_views.totp_reset,
        name="totp_reset",
    ),
    path("platforms/", platform_views.platforms, name="platforms"),
    path("platforms/new/", platform_views.platform_register_view, name="platform_register"),
    path("platforms/<int:pk>/", platform_views.platform_detail, name="platform"),
    path(
        "platforms/<int:pk>/api-key/", platform_views.platform_new_key_view, name="platform_new_key"
    ),
    path("platforms/<int:pk>/sip2/", platform_views.platform_sip2_view, name="platform_sip2"),
    path("cardholder-lists/", reader_views.cardholder_lists, name="cardholder_lists"),
    path("closures/", core_views.closures, name="closures"),
    path("closures/weekday/", core_views.closed_weekday_change, name="closed_weekday"),
    path("closures/add/", core_views.closure_create, name="closure_add"),
    path("closures/<int:pk>/delete/", core_views.closure_delete, name="closure_delete"),
    path("audit/", core_views.audit_log, name="audit_log"),
]
