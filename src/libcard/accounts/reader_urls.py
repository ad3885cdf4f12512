from django.urls import path

from libcard.accounts import reader_views as views

app_name = "reader"
urlpatterns = [
    path("", views.card, name="card"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("first-password/", views.first_password, name="first_password"),
    path("notice/", views.notice, name="notice"),
    path("password/", views.change_password, name="password"),
    path("contact/", views.contact, name="contact"),
    path("email/<str:token>/", views.email_confirm, name="email_confirm"),
    path("correction/", views.correction, name="correction"),
    path("forgot/", views.forgot, name="forgot"),
    path("reset/<str:token>/", views.reset, name="reset"),
]
