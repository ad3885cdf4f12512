from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("", include("libcard.front.urls")),
    path("staff/review/", include("libcard.individual.review_urls")),
    path("staff/", include("libcard.staff_urls")),
    path("portal/", include("libcard.groups.portal_urls")),
    path("api/v1/", include("libcard.platforms.urls")),
    path("account/", include("libcard.accounts.reader_urls")),
    path("apply/", include("libcard.individual.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
]
