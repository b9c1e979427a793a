"""The admin site: Liaison's header, menus grouped by task, and who may enter at all.

Installed as the default ``admin.site`` by ``liaison.apps.LiaisonAdminConfig``, so the
apps register their model admins as usual. The index and the sidebar list models by the
task staff come to do (opinions, deputies' work, stations, ballots, reports, system),
in the order of the work rather than the alphabet; each user sees only the models they
hold a permission for (Django asks the model admins, which ask the rules). The app
pages (/admin/<app_label>/) stay as Django builds them.
"""

from django.contrib import admin
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

# (slug, menu title, models in the order of the work). A model not named here still
# appears, in the last group, so nothing registered ever disappears from the menus.
TASK_GROUPS = [
    (
        "opinions",
        _("Opinion handling"),
        [
            "suggestions.suggestion",
            "suggestions.deputysuggestion",
            "stations.reception",
            "suggestions.assignment",
            "suggestions.reply",
            "suggestions.followup",
            "suggestions.workorder",
            "suggestions.department",
            "suggestions.routingrule",
            "suggestions.category",
            "suggestions.resultclass",
        ],
    ),
    (
        "deputies",
        _("Deputies' work"),
        [
            "stations.deputy",
            "stations.deputygroup",
            "stations.congress",
            "stations.pointentry",
            "stations.pointrule",
            "stations.gradeband",
        ],
    ),
    (
        "stations",
        _("Stations and reception days"),
        [
            "stations.station",
            "stations.placement",
            "stations.receptionschedule",
            "stations.receptionday",
            "stations.dutyswap",
        ],
    ),
    (
        "ballots",
        _("Project ballots"),
        [
            "votes.ballotcycle",
            "votes.proposal",
            "votes.negativelistitem",
            "votes.roundresult",
            "votes.project",
        ],
    ),
    ("reports", _("Reports and jobs"), ["liaison.job"]),
    (
        "system",
        _("System administration"),
        [
            "liaison.user",
            "auth.group",
            "authtoken.tokenproxy",
            "liaison.region",
            "liaison.workdayoverride",
            "liaison.notification",
            "liaison.outboxmessage",
            "suggestions.integration",
            "suggestions.callbackdelivery",
            "suggestions.personaldataaccess",
            "suggestions.personaldatarequest",
            "auditlog.logentry",
            "axes.accessattempt",
            "otp_totp.totpdevice",
            "otp_static.staticdevice",
        ],
    ),
]
OTHER_GROUP = ("other", _("Other"))
# Models whose package gives them an untranslatable name.
MODEL_NAMES = {
    "otp_totp.totpdevice": _("Two-factor devices"),
    "otp_static.staticdevice": _("Backup codes"),
}

_PLACE = {
    label: (group_index, position)
    for group_index, (_slug, _title, labels) in enumerate(TASK_GROUPS)
    for position, label in enumerate(labels)
}


def _label(model_dict: dict) -> str:
    opts = model_dict["model"]._meta
    return f"{opts.app_label}.{opts.model_name}"


def _order(model_dict: dict) -> tuple:
    """Where a model stands: its group's place and its own, unknown ones last by name."""
    return (*_PLACE.get(_label(model_dict), (len(TASK_GROUPS), len(_PLACE))), model_dict["name"])


class LiaisonAdminSite(admin.AdminSite):
    site_header = _("Deputy Liaison Station Administration Platform")
    site_title = _("Liaison admin")
    index_title = _("Office workspace")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.name == "admin":
            # The default site: locked sign-ins and two-factor devices with our own
            # (translated) admins, registered before django-otp's admin modules are
            # imported, which then step aside.
            from liaison import security, twofactor

            security.register_admin(self)
            twofactor.register_admin(self)

    def has_permission(self, request):
        """Office staff and administrators only. Deputies and department handlers work
        in their own pages: even an account wrongly ticked "staff" stays out."""
        user = request.user
        return super().has_permission(request) and bool(
            user.is_superuser or getattr(user, "role", "") == "office"
        )

    def get_urls(self):
        return [
            path("tasks/<slug:group>/", self.admin_view(self.task_group), name="task_group"),
            *super().get_urls(),
        ]

    def get_app_list(self, request, app_label=None):
        """The index and the sidebar: task groups. An app's own page: that app, its
        models in the order of the work."""
        if app_label is not None:
            app_list = super().get_app_list(request, app_label)
            for app in app_list:
                app["models"].sort(key=_order)
            return app_list
        found = [m for app in self._build_app_dict(request).values() for m in app["models"]]
        for model_dict in found:
            model_dict["name"] = MODEL_NAMES.get(_label(model_dict), model_dict["name"])
        groups = []
        for index, (slug, title) in enumerate(
            [(slug, title) for slug, title, _labels in TASK_GROUPS] + [OTHER_GROUP]
        ):
            members = sorted(
                (m for m in found if _PLACE.get(_label(m), (len(TASK_GROUPS),))[0] == index),
                key=_order,
            )
            if members:
                groups.append(
                    {
                        "name": title,
                        "slug": slug,
                        "app_label": f"tasks-{slug}",
                        "app_url": reverse(
                            "admin:task_group", kwargs={"group": slug}, current_app=self.name
                        ),
                        "has_module_perms": True,
                        "models": members,
                    }
                )
        return groups

    def task_group(self, request, group, extra_context=None):
        """One task group's page, like an app's: a 404 when the user sees none of it."""
        found = next((g for g in self.get_app_list(request) if g["slug"] == group), None)
        if found is None:
            raise Http404(_("No such menu."))
        context = {
            **self.each_context(request),
            "title": found["name"],
            "subtitle": None,
            "app_list": [found],
            "app_label": found["app_label"],
            **(extra_context or {}),
        }
        request.current_app = self.name
        return TemplateResponse(request, self.app_index_template or "admin/app_index.html", context)
