from django.urls import path

from libcard.platforms import api

app_name = "api"
urlpatterns = [
    path("auth/verify", api.verify, name="verify"),
    path("readers/<str:pseudonym>", api.reader_status, name="reader"),
    path("openapi.json", api.openapi, name="openapi"),
]
