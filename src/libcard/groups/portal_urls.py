"""The institution portal, mounted at /portal/ (the services reverse these names)."""

from django.urls import path

from libcard.groups import portal_views as views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", views.PortalLogoutView.as_view(), name="logout"),
    path("signup/<str:token>/", views.signup, name="signup"),
    path("password/", views.PortalPasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PortalPasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        views.PortalPasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PortalPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        views.PortalPasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/upload/", views.upload, name="upload"),
    path(
        "applications/<int:pk>/submissions/<int:sid>/",
        views.submission_detail,
        name="submission",
    ),
    path(
        "applications/<int:pk>/submissions/<int:sid>/submit/",
        views.submission_submit,
        name="submission_submit",
    ),
    path(
        "applications/<int:pk>/submissions/<int:sid>/annotated.xlsx",
        views.submission_annotated,
        name="submission_annotated",
    ),
    path(
        "applications/<int:pk>/submissions/<int:sid>/file",
        views.submission_file,
        name="submission_file",
    ),
    path(
        "applications/<int:pk>/roster.<str:fmt>",
        views.roster_download,
        name="roster",
    ),
]
