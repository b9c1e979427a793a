"""The office's admin for stations, deputies, duty and performance points.

Every model admin is scoped to the user's region (liaison.admin). Changes that have
consequences go through services: a staff edit of a duty marks it as the office's so
the rotation keeps it, attendance awards points, claims are verified or rejected.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison import scoping
from liaison.admin import KeptRecordsMixin, ScopedAdmin, ScopedImportExportAdmin, ScopedInline
from liaison.changelist import RegionDrillDownFilter, ScaledChangeListMixin
from liaison.models import Region
from stations import points, selectors, services
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
from stations.models.base import DutySwap, public_code_validator
from stations.models.points import GradeBand, PointEntry, PointKind, PointRule
from stations.resources import DeputyResource, StationResource

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report_link(deputy: Deputy, year: int | None = None) -> str:
    year = year or timezone.localdate().year
    return format_html(
        '<a href="{}" target="_blank" rel="noopener">{}</a>',
        reverse("stations:deputy_report", args=[deputy.pk, year]),
        gettext("Report %(year)s") % {"year": year},
    )


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
class DeputyAdmin(ScaledChangeListMixin, ScopedImportExportAdmin):
    """A province's hundred thousand deputies: the capped count of liaison.changelist,
    the region drill-down, and a search that uses an index whatever is typed."""

    resource_classes = [DeputyResource]
    list_display = ["code", "name", "gender", "region", "occupation", "is_active"]
    list_filter = ["is_active", "gender", RegionDrillDownFilter]
    list_select_related = ["region"]
    # Shown as the search box's reach; get_search_results decides the lookups.
    search_fields = ["=code", "name"]
    search_help_text = _("A deputy's public code, or part of the name.")
    autocomplete_fields = ["region", "user"]
    inlines = [MembershipInline, PlacementInline]

    def get_list_display(self, request):
        return [*super().get_list_display(request), "annual_report"]

    @admin.display(description=_("annual report"))
    def annual_report(self, deputy: Deputy) -> str:
        return _report_link(deputy)

    def get_search_results(self, request, queryset, search_term):
        """A code exactly (its unique index; codes are capitals, so the term is made
        one) or the name containing the term (the trigram index on ``UPPER(name)``,
        stations migration 0003): no case-folding of the code column, no DISTINCT."""
        term = search_term.strip()
        if not term:
            return queryset, False
        in_name = Q(name__icontains=term)
        code = term.upper()
        if public_code_validator.regex.match(code):
            return queryset.filter(Q(code=code) | in_name), False
        return queryset.filter(in_name), False

    def get_readonly_fields(self, request, obj=None):
        # Linking a deputy to a login is an administrator's act (accounts are theirs).
        readonly = super().get_readonly_fields(request, obj)
        return readonly if request.user.is_superuser else [*readonly, "user"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A deputy placed, moved or made inactive: the rotation of the days not announced
        # yet is dealt again at every station concerned.
        if "is_active" in form.changed_data or any(
            fs.model is Placement and fs.has_changed() for fs in formsets
        ):
            services.stations_roll_for_deputy(deputy=form.instance)


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

    def save_model(self, request, obj, form, change):
        previous = Placement.objects.filter(pk=obj.pk).values_list("station_id", flat=True).first()
        super().save_model(request, obj, form, change)
        # The rotation follows the placements on the days not announced yet.
        for station_id in {obj.station_id, previous} - {None}:
            services.reception_days_roll(station=Station(pk=station_id))

    def delete_model(self, request, obj):
        station_id = obj.station_id
        super().delete_model(request, obj)
        services.reception_days_roll(station=Station(pk=station_id))

    def delete_queryset(self, request, queryset):
        station_ids = set(queryset.values_list("station_id", flat=True))
        super().delete_queryset(request, queryset)
        for station_id in station_ids:
            services.reception_days_roll(station=Station(pk=station_id))


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


class DutyInlineFormSet(forms.BaseInlineFormSet):
    """Attendance is recorded on the day of the duty or after."""

    def clean(self):
        super().clean()
        day = self.instance
        if not day or not day.date or day.date <= timezone.localdate():
            return
        for form in self.forms:
            if (
                form.cleaned_data
                and not form.cleaned_data.get("DELETE")
                and "attended" in form.changed_data
                and form.cleaned_data.get("attended") is not None
            ):
                raise ValidationError(_("Attendance is recorded on the day of the duty or after."))


class DutyInline(ScopedInline, admin.TabularInline):
    model = Duty
    formset = DutyInlineFormSet
    extra = 0
    autocomplete_fields = ["deputy"]
    fields = ["deputy", "source", "attended", "attendance_by", "attendance_at"]
    readonly_fields = ["source", "attendance_by", "attendance_at"]
    verbose_name_plural = _("deputies on duty")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("deputy", "attendance_by")


@admin.register(ReceptionDay)
class ReceptionDayAdmin(ScopedAdmin):
    list_display = ["station", "date", "start_time", "end_time", "on_duty_names", "is_cancelled"]
    list_select_related = ["station"]
    list_filter = ["is_cancelled"]
    date_hierarchy = "date"
    search_fields = ["station__name", "=station__code"]
    autocomplete_fields = ["station", "schedule"]
    inlines = [DutyInline]
    actions = ["mark_attended", "mark_absent"]
    fieldsets = (
        (None, {"fields": ("station", "schedule", "date", ("start_time", "end_time"))}),
        (
            None,
            {
                "fields": ("notice_days", "is_cancelled", "note"),
                "description": _(
                    "A deputy you put on duty or change here stays there: the rotation "
                    "deals again only its own rows of days not announced yet, and refills "
                    "a row you remove. To take someone off, choose another deputy in "
                    "their row."
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("duties__deputy")

    @admin.display(description=_("on duty"))
    def on_duty_names(self, day: ReceptionDay) -> str:
        return "、".join(duty.deputy.name for duty in day.duties.all())

    def save_formset(self, request, form, formset, change):
        if formset.model is not Duty:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        for duty in formset.deleted_objects:
            services.duty_delete_by_staff(duty=duty, by=request.user)
        for duty_form in formset.forms:
            if duty_form in formset.deleted_forms or not duty_form.has_changed():
                continue
            duty = duty_form.instance
            attended = duty_form.cleaned_data.get("attended")
            if duty.pk is None or "deputy" in duty_form.changed_data:
                services.duty_set_by_staff(duty=duty, by=request.user)
            if "attended" in duty_form.changed_data:
                if attended is None:
                    services.duty_clear_attendance(duty=duty, by=request.user)
                else:
                    services.duty_mark_attendance(duty=duty, attended=attended, by=request.user)

    def delete_model(self, request, obj):
        services.reception_day_delete_by_staff(day=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for day in queryset.select_related("station"):
            services.reception_day_delete_by_staff(day=day, by=request.user)

    def _mark(self, request, queryset, attended: bool) -> None:
        done, refused = 0, []
        duties = Duty.objects.filter(reception_day__in=queryset).select_related(
            "deputy", "reception_day"
        )
        for duty in duties:
            try:
                services.duty_mark_attendance(duty=duty, attended=attended, by=request.user)
            except ValidationError as error:
                refused.append(f"{duty}: {' '.join(error.messages)}")
            else:
                done += 1
        if done:
            self.message_user(
                request, gettext("Attendance recorded for %(n)d duties.") % {"n": done}
            )
        for message in refused[:10]:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=_("Record the deputies on duty as attended"))
    def mark_attended(self, request, queryset):
        self._mark(request, queryset, True)

    @admin.action(description=_("Record the deputies on duty as absent"))
    def mark_absent(self, request, queryset):
        self._mark(request, queryset, False)


@admin.register(DutySwap)
class DutySwapAdmin(KeptRecordsMixin, ScopedAdmin):
    """Swaps are decided by the deputies; the office follows them here. Nobody adds one
    here (every field is read-only, so saving an added one failed) or deletes one."""

    list_display = ["duty_day", "station", "from_deputy", "to_deputy", "status", "created_at"]
    list_filter = ["status"]
    list_select_related = ["duty__reception_day__station", "from_deputy", "to_deputy"]
    search_fields = ["from_deputy__name", "to_deputy__name", "duty__reception_day__station__name"]
    readonly_fields = [
        "duty",
        "from_deputy",
        "to_deputy",
        "status",
        "note",
        "created_at",
        "decided_at",
    ]

    @admin.display(description=_("reception day"), ordering="duty__reception_day__date")
    def duty_day(self, swap: DutySwap):
        return swap.duty.reception_day.date

    @admin.display(description=_("station"))
    def station(self, swap: DutySwap):
        return swap.duty.reception_day.station


# --- Performance points -----------------------------------------------------------------


@admin.register(PointRule)
class PointRuleAdmin(ScopedAdmin):
    list_display = ["region", "kind", "points", "cap_per_period", "valid_from", "valid_to"]
    list_filter = ["kind"]
    list_select_related = ["region"]
    search_fields = ["region__name", "=region__code", "note"]
    autocomplete_fields = ["region"]
    date_hierarchy = "valid_from"

    def get_readonly_fields(self, request, obj=None):
        # Points already counted by a rule keep their meaning: to change a rule, end it
        # (valid until) and add a new one from the day the change applies.
        if obj is not None and obj.entries.exists():
            return ["region", "kind", "points", "cap_per_period", "valid_from"]
        return super().get_readonly_fields(request, obj)


@admin.register(GradeBand)
class GradeBandAdmin(ScopedAdmin):
    list_display = ["region", "label", "min_score"]
    list_select_related = ["region"]
    search_fields = ["region__name", "=region__code", "label"]
    autocomplete_fields = ["region"]


class PointGrantForm(forms.ModelForm):
    """Points the office records itself for an activity it saw: verified at once."""

    class Meta:
        model = PointEntry
        fields = ["deputy", "kind", "points", "occurred_on", "description", "evidence"]

    def clean_evidence(self):
        upload = self.cleaned_data.get("evidence")
        return points.evidence_clean(upload) if upload else upload

    def _post_clean(self):
        # The service builds the entry (source key, rule, cap); nothing to check here.
        pass


class PointDecisionForm(forms.ModelForm):
    """Verify or reject a claim."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("", _("Decide later")), ("verify", _("Verify")), ("reject", _("Reject"))],
        required=False,
        widget=forms.RadioSelect,
    )
    award = forms.IntegerField(
        label=_("Points to award"),
        required=False,
        help_text=_("Empty: the points of the rule for claimed activities."),
    )

    class Meta:
        model = PointEntry
        fields = ["review_note"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "verify" and cleaned.get("award") is None:
            entry = self.instance
            rule = points.rule_for(
                region_code=entry.deputy.region_id, kind=entry.kind, on=entry.occurred_on
            )
            if rule is None:
                self.add_error(
                    "award", _("No rule gives points for this activity: enter the points.")
                )
        return cleaned


@admin.register(PointEntry)
class PointEntryAdmin(ScopedAdmin):
    change_list_template = "stations/admin/pointentry_change_list.html"
    list_display = [
        "occurred_on",
        "deputy",
        "kind",
        "points",
        "status",
        "short_description",
        "evidence_link",
        "verified_by",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["deputy", "verified_by"]
    search_fields = ["deputy__name", "=deputy__code", "description"]
    date_hierarchy = "occurred_on"
    autocomplete_fields = ["deputy"]
    actions = ["verify_claims", "reject_claims"]
    DETAIL_FIELDS = [
        "deputy",
        "kind",
        "points",
        "occurred_on",
        "status",
        "description",
        "evidence_link",
        "rule",
        "source_key",
        "verified_by",
        "verified_at",
        "created_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = PointDecisionForm if obj is not None else PointGrantForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return PointGrantForm.Meta.fields
        if obj.status == PointEntry.Status.CLAIMED and self.has_change_permission(request, obj):
            return [*self.DETAIL_FIELDS, "decision", "award", "review_note"]
        return [*self.DETAIL_FIELDS, "review_note"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status == PointEntry.Status.CLAIMED:
            return self.DETAIL_FIELDS
        return [*self.DETAIL_FIELDS, "review_note"]

    def has_change_permission(self, request, obj=None):
        # Only a claim awaiting verification is decided; other entries are records.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == PointEntry.Status.CLAIMED)

    def save_model(self, request, obj, form, change):
        if not change:
            data = form.cleaned_data
            entry = points.points_grant(
                deputy=data["deputy"],
                kind=data["kind"],
                points=data["points"],
                occurred_on=data["occurred_on"],
                description=data["description"],
                evidence=data.get("evidence") or None,
                by=request.user,
            )
            for field in PointEntry._meta.concrete_fields:
                setattr(obj, field.attname, getattr(entry, field.attname))
            obj._state.adding = False
            return
        decision = form.cleaned_data.get("decision")
        if decision:
            entry = points.points_verify(
                entry=obj,
                by=request.user,
                approve=decision == "verify",
                points=form.cleaned_data.get("award"),
                note=form.cleaned_data.get("review_note", ""),
            )
            obj.refresh_from_db()
            if entry.status == PointEntry.Status.VERIFIED:
                self.message_user(
                    request,
                    gettext("Verified with %(points)d points.") % {"points": entry.points},
                )
        else:
            obj.save(update_fields=["review_note"])

    def save_related(self, request, form, formsets, change):
        # Nothing relates to an entry; the form's data went through the services.
        pass

    @admin.display(description=_("description"))
    def short_description(self, entry: PointEntry) -> str:
        text = entry.description
        return text if len(text) <= 40 else f"{text[:40]}…"

    @admin.display(description=_("evidence"))
    def evidence_link(self, entry: PointEntry) -> str:
        if not entry.evidence:
            return "–"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("stations:points_evidence", args=[entry.pk]),
            gettext("Open"),
        )

    def _decide(self, request, queryset, approve: bool) -> None:
        done, refused = 0, 0
        for entry in queryset.filter(status=PointEntry.Status.CLAIMED).select_related("deputy"):
            try:
                points.points_verify(entry=entry, by=request.user, approve=approve)
            except (ValidationError, PermissionDenied):
                refused += 1
            else:
                done += 1
        self.message_user(request, gettext("%(n)d claims decided.") % {"n": done})
        if refused:
            self.message_user(
                request,
                gettext(
                    "%(n)d claims need the points entered on their own page: no rule gives "
                    "points for them."
                )
                % {"n": refused},
                messages.WARNING,
            )

    @admin.action(description=_("Verify the selected claims with the rule's points"))
    def verify_claims(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description=_("Reject the selected claims"))
    def reject_claims(self, request, queryset):
        self._decide(request, queryset, False)

    # -- The ranking (排名) and its Excel export

    def get_urls(self):
        return [
            path(
                "ranking/",
                self.admin_site.admin_view(self.ranking_view),
                name="stations_pointentry_ranking",
            ),
            *super().get_urls(),
        ]

    def _ranking_params(self, request) -> tuple[int, Region | None]:
        this_year = timezone.localdate().year
        year_text = request.GET.get("year", "")
        year = int(year_text) if year_text.isdigit() else this_year
        if not 2000 <= year <= this_year + 1:
            year = this_year
        region = None
        code = request.GET.get("region", "").strip()
        if code:
            region = scoping.scope(Region.objects.all(), request.user).filter(code=code).first()
        return year, region

    def ranking_view(self, request):
        """Deputies of the user's region by the year's points, with grades; or Excel."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        year, region = self._ranking_params(request)
        rows = points.points_ranking(user=request.user, year=year, region=region)
        if request.GET.get("format") == "xlsx":
            response = HttpResponse(
                points.ranking_xlsx(rows=rows, year=year), content_type=XLSX_CONTENT_TYPE
            )
            suffix = f"-{region.code}" if region else ""
            response["Content-Disposition"] = (
                f'attachment; filename="points-ranking-{year}{suffix}.xlsx"'
            )
            return response
        home = request.user.region if not scoping.sees_everything(request.user) else None
        subregions = Region.objects.filter(parent=home) if home else Region.objects.none()
        if scoping.sees_everything(request.user):
            subregions = Region.objects.filter(parent__isnull=True)
        query = request.GET.copy()
        query["format"] = "xlsx"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Points ranking %(year)s") % {"year": year},
            "rows": rows,
            "kinds": list(PointKind),
            "year": year,
            "years": list(range(timezone.localdate().year, 2019, -1)),
            "region": region,
            "home": home,
            "subregions": list(subregions.order_by("code")),
            "xlsx_query": query.urlencode(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "stations/admin/ranking.html", context)
