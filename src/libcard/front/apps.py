from django.apps import AppConfig


class FrontConfig(AppConfig):
    name = "libcard.front"
    label = "front"
