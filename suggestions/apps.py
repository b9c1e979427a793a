from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SuggestionsConfig(AppConfig):
    name = "suggestions"
    verbose_name = _("Suggestions")

    def ready(self) -> None:
        # Panels for the deputy's home page (liaison.workspace).
        # Status changes of 12345 work orders go back to the hotline (an Event receiver).
        from suggestions import (
            hotline,  # noqa: F401
            workspace,  # noqa: F401
        )
