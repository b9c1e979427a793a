from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotesConfig(AppConfig):
    name = "votes"
    verbose_name = _("Livelihood-project ballots")

    def ready(self) -> None:
        # The "open ballots" panel on the deputy's home page (liaison.workspace).
        from votes import workspace  # noqa: F401
