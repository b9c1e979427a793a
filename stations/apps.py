from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = _("Stations and deputies")

    def ready(self) -> None:
        # Panels for the deputy's home page (liaison.workspace).
        from stations import pagecache, workspace  # noqa: F401

        pagecache.connect_signals()
