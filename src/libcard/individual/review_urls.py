"""The reviewers' pages, mounted at /staff/review/ (reviewer role, checked in each view)."""

from django.urls import path

from libcard.individual import review_views as views

app_name = "review"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.application, name="application"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/reveal/", views.reveal, name="reveal"),
    path("<int:pk>/documents/<int:document_pk>/", views.document, name="document"),
]
