from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuggestionsConfig(AppConfig):
    name = "suggestions"
    verbose_name = _("Suggestions")

    def ready(self) -> None:
        # Panels for the deputy's home page (liaison.workspace).
        from suggestions import workspace  # noqa: F401
