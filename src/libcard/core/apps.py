from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "libcard.core"
    label = "core"
    verbose_name = "libcard core"
