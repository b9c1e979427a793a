from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from liaison.admin import ScopedAdmin, ScopedImportExportAdmin, ScopedInline
from stations import selectors, services
from stations.models import (
    Congress,
    Deputy,
    DeputyGroup,
    Duty,
    Membership,
    Placement,
    ReceptionDay,
    ReceptionSchedule,
    Station,
)
from stations.resources import DeputyResource, StationResource


@admin.register(Congress)
class CongressAdmin(ScopedAdmin):
    list_display = ["name", "term", "level", "region"]
    list_filter = ["level", "term"]
    list_select_related = ["region"]
    search_fields = ["name"]
    autocomplete_fields = ["region"]


class MembershipInline(ScopedInline, admin.TabularInline):
    model = Membership
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "congress":
            # A county's deputy may also sit in the city, provincial or national congress:
            # offer the congresses of the user's region, its subtree and its ancestors.
            kwargs["queryset"] = selectors.congresses_for_membership(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class PlacementInline(ScopedInline, admin.TabularInline):
    model = Placement
    extra = 0
    autocomplete_fields = ["deputy", "station"]


@admin.register(Deputy)
class DeputyAdmin(ScopedImportExportAdmin):
    resource_classes = [DeputyResource]
    list_display = ["code", "name", "gender", "region", "occupation", "is_active"]
    list_filter = ["is_active", "gender"]
    list_select_related = ["region"]
    search_fields = ["=code", "name"]
    autocomplete_fields = ["region", "user"]
    inlines = [MembershipInline, PlacementInline]

    def get_readonly_fields(self, request, obj=None):
        # Linking a deputy to a login is an administrator's act (accounts are theirs).
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else [*readonly, "user"]


@admin.register(DeputyGroup)
class DeputyGroupAdmin(ScopedAdmin):
    list_display = ["name", "kind", "region", "congress", "leader"]
    list_filter = ["kind"]
    list_select_related = ["region", "congress", "leader"]
    search_fields = ["name"]
    autocomplete_fields = ["region", "congress", "leader", "members"]


class ScheduleInline(admin.StackedInline):
    model = ReceptionSchedule
    extra = 0
    fields = [
        ("rule", "is_active"),
        ("day_of_month", "months", "weekday"),
        "dates",
        ("start_time", "end_time"),
        ("deputies_per_day", "notice_days"),
    ]


@admin.register(Station)
class StationAdmin(ScopedImportExportAdmin):
    resource_classes = [StationResource]
    list_display = ["code", "name", "tier", "kind", "region", "six_haves", "is_active"]
    list_filter = ["tier", "kind", "is_active"]
    list_select_related = ["region"]
    search_fields = ["=code", "name", "address"]
    autocomplete_fields = ["region"]
    inlines = [ScheduleInline, PlacementInline]
    actions = ["roll_reception_days"]
    fieldsets = (
        (None, {"fields": ("code", "name", ("tier", "kind"), "region", "is_active")}),
        (_("Place"), {"fields": ("address", ("latitude", "longitude"), "opening_notes")}),
        (_("The six haves"), {"fields": Station.SIX_HAVES}),
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Schedule edits show on the public page at once, not after the nightly roll.
        services.reception_days_roll(station=form.instance)

    @admin.display(description=_("six haves"))
    def six_haves(self, station: Station) -> str:
        return f"{station.six_haves_met}/6"

    @admin.action(description=_("Schedule reception days and duty for the coming weeks"))
    def roll_reception_days(self, request, queryset):
        created = sum(services.reception_days_roll(station=station) for station in queryset)
        self.message_user(request, _("%(n)d reception days scheduled.") % {"n": created})


@admin.register(Placement)
class PlacementAdmin(ScopedAdmin):
    list_display = ["deputy", "station", "since", "is_active"]
    list_select_related = ["deputy", "station"]
    list_filter = ["is_active"]
    search_fields = ["deputy__name", "=deputy__code", "station__name", "=station__code"]
    autocomplete_fields = ["deputy", "station"]


@admin.register(ReceptionSchedule)
class ReceptionScheduleAdmin(ScopedAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.reception_days_roll(station=obj.station)

    list_display = [
        "station",
        "rule",
        "day_of_month",
        "months",
        "weekday",
        "start_time",
        "is_active",
    ]
    list_select_related = ["station"]
    list_filter = ["rule", "months", "is_active"]
    search_fields = ["station__name", "=station__code"]
    autocomplete_fields = ["station"]


class DutyInline(ScopedInline, admin.TabularInline):
    model = Duty
    extra = 0
    autocomplete_fields = ["deputy"]


@admin.register(ReceptionDay)
class ReceptionDayAdmin(ScopedAdmin):
    list_display = ["station", "date", "start_time", "end_time", "is_cancelled"]
    list_select_related = ["station"]
    list_filter = ["is_cancelled"]
    date_hierarchy = "date"
    search_fields = ["station__name", "=station__code"]
    autocomplete_fields = ["station", "schedule"]
    inlines = [DutyInline]
