from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndividualConfig(AppConfig):
    name = "libcard.individual"
    label = "individual"
    verbose_name = _("Individual applications")

    def ready(self) -> None:
        from libcard.individual import checks  # noqa: F401  (registers the start-up check)
