from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    name = "liaison"
    verbose_name = _("Regions and accounts")
    default = True

    def ready(self):
        from liaison import audit, jobs  # noqa: F401  (jobs: its signal receivers)

        audit.register_models()


class LiaisonAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with Liaison's site as the default ``admin.site``: every
    ``admin.site.register`` and ``@admin.register`` lands on it unchanged. Installed
    by its dotted path in INSTALLED_APPS, never picked for the ``liaison`` app."""

    default = False
    default_site = "liaison.admin_site.LiaisonAdminSite"
