"""The public individual application, mounted at /apply/."""

from django.urls import path

from libcard.individual import views

app_name = "individual"
urlpatterns = [
    path("", views.start, name="start"),
    path("form/<str:applicant_type>/", views.apply, name="form"),
    path("sent/", views.sent, name="sent"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("status/<str:token>/", views.status, name="status"),
    path("certificate/", views.certificate, name="certificate"),
    path("certificate/done/", views.certificate_done, name="certificate_done"),
]
