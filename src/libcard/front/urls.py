from django.urls import path

from libcard.front import views

app_name = "front"
urlpatterns = [
    path("", views.home, name="home"),
    path("templates/reader-file.<str:fmt>", views.template_download, name="template"),
    path("check/", views.check_file_page, name="check"),
]
