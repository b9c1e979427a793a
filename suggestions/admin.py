"""The liaison office's side of suggestions in the Django admin.

Staff look items up, assign them, chase, close, merge and record telephone follow-ups;
every one of those is a call into ``suggestions.services``, never a direct write. What
the constituent said is read-only, and the name and phone are masked everywhere except
on the reveal page, which logs each look (PIPL; ``suggestions.admin_privacy``).
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat, LPad
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from import_export.formats.base_formats import XLSX
from import_export.forms import ExportForm

from liaison import regions, scoping
from liaison.admin import (
    AuditHistoryMixin,
    HandlingButtonsMixin,
    IntermediateActionMixin,
    KeptRecordsMixin,
    ReadOnlyAdmin,
    ScopedAdmin,
    ScopedInline,
)
from liaison.admin_jobs import ExportJobMixin
from liaison.changelist import (
    PrefetchedChoicesFilter,
    RegionDrillDownFilter,
    ScaledChangeListMixin,
)
from liaison.crypto import phone_index
from liaison.models import User
from suggestions import selectors, services
from suggestions.admin_privacy import PersonalDataAdminMixin
from suggestions.models import (
    TRACKING_ALPHABET,
    TRACKING_LENGTH,
    Assignment,
    Case,
    Category,
    Department,
    Event,
    FollowUp,
    Reply,
    RoutingRule,
    Suggestion,
)
from suggestions.resources import SuggestionLedgerResource


def item_link(case: Case) -> str:
    """The case's title, linked to its page in the admin when it has one."""
    if case.kind == Case.Kind.CONSTITUENT:
        url = reverse("admin:suggestions_suggestion_change", args=[case.pk])
        return format_html('<a href="{}">{}</a>', url, case.title)
    return case.title


# --- Data the office keeps: categories, departments, routing rules ---------------------


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = [
            "name",
            "region",
            "parent",
            "supervisor_name",
            "supervisor_phone",
            "supervisor_email",
            "users",
            "is_active",
        ]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        ancestor, seen = parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.instance.pk and ancestor.pk == self.instance.pk:
                raise ValidationError(_("A department cannot be placed under itself."))
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        return parent


@admin.register(Category)
class CategoryAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = ["name", "code", "sort_order", "is_active"]
    list_display_links = ["name"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["=code", "name"]
    ordering = ["sort_order", "code"]
    show_facets = admin.ShowFacets.NEVER


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    form = DepartmentForm
    list_display = ["name", "region", "parent", "supervisor_name", "is_active"]
    list_select_related = ["region", "parent"]
    list_filter = ["is_active", RegionDrillDownFilter]
    search_fields = ["name"]
    autocomplete_fields = ["region", "parent"]
    filter_horizontal = ["users"]
    fieldsets = (
        (None, {"fields": ("name", "region", "parent", "is_active")}),
        (
            _("Supervisor"),
            {
                "fields": ("supervisor_name", "supervisor_phone", "supervisor_email"),
                "description": _(
                    "The supervisor gets the overdue notices (督办) by SMS and e-mail."
                ),
            },
        ),
        (_("Handlers"), {"fields": ("users",)}),
    )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "users":
            kwargs["queryset"] = self._handler_choices(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "users" in form.base_fields:
            # Handlers already on the department stay choosable, so saving the form does
            # not silently drop one whose account lies outside the user's region.
            form.base_fields["users"].queryset = self._handler_choices(request.user, obj)
        return form

    @staticmethod
    def _handler_choices(user, department: Department | None = None):
        """Department handlers' accounts: those of the user's region, and accounts not
        tied to a region (handlers of a department usually are not)."""
        accounts = User.objects.filter(role=User.Role.DEPARTMENT, is_active=True)
        if not scoping.sees_everything(user):
            reachable = Q(region__isnull=True)
            if prefix := getattr(user, "region_prefix", None):
                reachable |= Q(region__code__startswith=prefix)
            accounts = accounts.filter(reachable)
        if department is not None and department.pk:
            accounts = User.objects.filter(
                Q(pk__in=accounts.values("pk")) | Q(pk__in=department.users.values("pk"))
            )
        return accounts.order_by("username")


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["category", "region", "department", "time_limit_days", "is_active"]

    def clean(self):
        cleaned = super().clean()
        region, department = cleaned.get("region"), cleaned.get("department")
        if region and department and department.region_id not in regions.ancestors_of(region.code):
            # Items go to a body of their own region or one above it, never sideways.
            self.add_error(
                "department",
                _(
                    "%(department)s does not serve %(region)s: choose a department of that "
                    "region or of a region above it."
                )
                % {"department": department, "region": region},
            )
        return cleaned


@admin.register(RoutingRule)
class RoutingRuleAdmin(ScopedAdmin):
    form = RoutingRuleForm
    list_display = ["region", "category", "department", "time_limit_days", "is_active"]
    list_select_related = ["region", "category", "department"]
    list_filter = ["is_active", "category", RegionDrillDownFilter]
    search_fields = ["department__name"]
    autocomplete_fields = ["region", "department"]
    ordering = ["region_id", "category__sort_order"]


# --- Handling records, read-only ------------------------------------------------------


class CaseRecordAdmin(KeptRecordsMixin, ReadOnlyAdmin, ScopedAdmin):
    """What happened on items, listed across items; written only by the services and
    kept: not even an administrator deletes an assignment, a reply or a rating here."""

    @admin.display(description=_("item"), ordering="case__received_at")
    def item(self, record) -> str:
        return item_link(record.case)


@admin.register(Assignment)
class AssignmentAdmin(CaseRecordAdmin):
    list_display = [
        "item",
        "department",
        "role",
        "status",
        "assigned_at",
        "due_date",
        "assigned_by",
    ]
    list_select_related = ["case", "department", "assigned_by"]
    list_filter = ["status", "role"]
    search_fields = ["department__name"]
    ordering = ["-assigned_at", "-id"]


@admin.register(Reply)
class ReplyAdmin(CaseRecordAdmin):
    list_display = ["item", "department", "author", "created_at", "result_class"]
    list_select_related = ["case", "department", "author"]
    search_fields = ["department__name"]
    ordering = ["-created_at", "-id"]


@admin.register(FollowUp)
class FollowUpAdmin(CaseRecordAdmin):
    list_display = ["item", "round", "rating", "method", "recorded_by", "created_at"]
    list_select_related = ["case", "recorded_by"]
    list_filter = ["rating", "method"]
    ordering = ["-created_at", "-id"]


# --- The item page: read-only inlines -------------------------------------------------


class RecordInline(ScopedInline, admin.TabularInline):
    """A read-only table of one kind of record on the item page."""

    extra = 0
    can_delete = False
    fk_name = "case"  # the records hang off Case, the parent of Suggestion
    related = ()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)


class AssignmentInline(RecordInline):
    model = Assignment
    fields = [
        "department",
        "role",
        "status",
        "time_limit_days",
        "assigned_at",
        "due_date",
        "assigned_by",
        "return_reason",
    ]
    related = ("department", "assigned_by")
    ordering = ["assigned_at", "id"]


class ReplyInline(RecordInline):
    model = Reply
    fields = ["created_at", "department", "author", "public_text", "internal_note"]
    related = ("department", "author")
    ordering = ["created_at", "id"]


class FollowUpInline(RecordInline):
    model = FollowUp
    fields = ["round", "rating", "method", "comment", "recorded_by", "created_at"]
    related = ("recorded_by",)
    ordering = ["created_at", "id"]


class EventInline(RecordInline):
    model = Event
    verbose_name_plural = _("timeline")
    fields = ["created_at", "kind", "actor", "public_text", "note", "is_public"]
    related = ("actor",)
    ordering = ["created_at", "id"]


# --- The changelist's filters ---------------------------------------------------------


class CategoryFilter(PrefetchedChoicesFilter):
    """The categories, fetched with the other filters' choices in one query."""

    title = _("category")
    parameter_name = "category"

    @classmethod
    def choices_queryset(cls, request, value):
        return Category.objects.annotate(
            lk_key=Cast("pk", CharField()),
            lk_label=F("name"),
            # The categories' own order (sort_order, code) as one sortable text.
            lk_order=Concat(
                LPad(Cast("sort_order", CharField()), 5, Value("0")),
                Value(" "),
                "code",
                output_field=CharField(),
            ),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(category_id=int(value))
        return queryset


class DepartmentFilter(PrefetchedChoicesFilter):
    """Items a department is handling now (an active assignment), by EXISTS: no join,
    so no DISTINCT over the changelist."""

    title = _("handling department")
    parameter_name = "department"

    @classmethod
    def choices_queryset(cls, request, value):
        user = request.user
        departments = Department.objects.filter(is_active=True)
        if not scoping.sees_everything(user):
            if not user.region_id:
                return None
            # The departments of the user's region and below, and those above that
            # serve it (a township's items mostly go to county bureaus).
            departments = departments.filter(
                Q(region__code__startswith=user.region_prefix)
                | Q(region_id__in=regions.ancestors_of(user.region_id))
            )
        return departments.annotate(
            lk_key=Cast("pk", CharField()),
            lk_label=F("name"),
            lk_order=Concat("region_id", Value(" "), "name", output_field=CharField()),
        )

    def queryset(self, request, queryset):
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        return queryset.filter(
            Exists(
                Assignment.objects.filter(
                    case=OuterRef("pk"),
                    department_id=int(value),
                    status=Assignment.Status.ACTIVE,
                )
            )
        )


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return selectors.overdue_filter(queryset)
        return queryset


class YearEndSortingFilter(admin.SimpleListFilter):
    """The ledger's year-end sorting: the recorded outcome, or what the status implies
    for items closed without one (``Case.year_end_sorting``)."""

    title = _("year-end sorting")
    parameter_name = "sorting"
    implied = {
        Case.Outcome.HANDLED: (
            Case.Status.CLOSED,
            Case.Status.ANSWERED_ON_SPOT,
            Case.Status.REPLIED,
        ),
        Case.Outcome.PROMOTED: (Case.Status.PROMOTED,),
        Case.Outcome.NOT_FEASIBLE: (Case.Status.REJECTED,),
    }

    def lookups(self, request, model_admin):
        return Case.Outcome.choices

    def queryset(self, request, queryset):
        outcome = self.value()
        if outcome not in self.implied:
            return queryset
        return queryset.filter(Q(outcome=outcome) | Q(outcome="", status__in=self.implied[outcome]))


# --- The forms of the actions' intermediate pages -------------------------------------


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, department):
        return f"{department.name}（{department.region.name}）"


class DepartmentsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, department):
        return f"{department.name}（{department.region.name}）"


class AssignForm(forms.Form):
    lead = DepartmentChoiceField(label=_("Lead department"), queryset=Department.objects.none())
    co_handlers = DepartmentsChoiceField(
        label=_("Co-handling departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_limit_days = forms.IntegerField(
        label=_("Time limit (working days)"),
        min_value=1,
        max_value=250,
        required=False,
        help_text=_("Empty: each item's routing rule, or the default time limit."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the office and the departments; the constituent does not see it."),
    )

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = departments
        self.fields["co_handlers"].queryset = departments

    def clean(self):
        cleaned = super().clean()
        lead, co_handlers = cleaned.get("lead"), cleaned.get("co_handlers") or []
        if lead is not None and lead in co_handlers:
            self.add_error("co_handlers", _("The lead department cannot also be a co-handler."))
        return cleaned


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Year-end sorting"), choices=Case.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for “cannot be done”; the constituent reads it as the answer."),
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("outcome") == Case.Outcome.NOT_FEASIBLE
            and not (cleaned.get("note") or "").strip()
        ):
            self.add_error("note", _("Say why the item cannot be handled."))
        return cleaned


class MergeForm(forms.Form):
    primary = forms.ModelChoiceField(
        label=_("Keep as the primary item"),
        queryset=Suggestion.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        help_text=_("The others close as merged, and their constituents get its reply."),
    )

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["primary"].queryset = items
        self.fields["primary"].label_from_instance = lambda s: f"{s.tracking_code} · {s.title}"


class PhoneFollowUpForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("Rating"),
        choices=[
            (value, label)
            for value, label in FollowUp.Rating.choices
            if value != FollowUp.Rating.NOT_RATED
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What the constituent said"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --- Constituents' opinions -----------------------------------------------------------


class ServiceActionsMixin(IntermediateActionMixin):
    """Admin actions that call a service per item, with an intermediate form page.

    A refused item is reported with its reason and the others still go through; the
    page returns to where the action started (an item's page or the changelist).
    """

    action_template = "admin/suggestions/suggestion/action_form.html"

    def _departments_serving(self, request, items):
        """Departments that may take every selected item: active, in the user's
        jurisdiction, and of the items' region or a region above it."""
        common = set.intersection(*(set(regions.ancestors_of(s.region_id)) for s in items))
        return scoping.scope(
            Department.objects.filter(is_active=True, region_id__in=common), request.user
        ).select_related("region")

    def _label(self, item) -> str:
        """How a message names an item."""
        return item.tracking_code

    def _each(self, request, items, operation, done_message: str) -> list:
        """Run ``operation`` on every item; a refused item is reported, the rest go on.
        Returns what the operation returned for the items it was done for."""
        done = []
        for item in items:
            try:
                result = operation(item)
            except ValidationError as exc:
                self.message_user(
                    request,
                    gettext("%(code)s: %(error)s")
                    % {"code": self._label(item), "error": " ".join(exc.messages)},
                    messages.ERROR,
                )
            else:
                done.append(result)
        if done:
            self.message_user(request, done_message % {"count": len(done)}, messages.SUCCESS)
        return done


@admin.register(Suggestion)
class SuggestionAdmin(
    PersonalDataAdminMixin,
    ScaledChangeListMixin,
    KeptRecordsMixin,
    HandlingButtonsMixin,
    ServiceActionsMixin,
    ExportJobMixin,
    ExportMixin,
    ScopedAdmin,
):
    resource_classes = [SuggestionLedgerResource]
    export_formats = [XLSX]
    export_form_class = ExportForm  # the ledger has fixed columns

    list_display = [
        "tracking_code",
        "title",
        "category",
        "region",
        "status",
        "channel",
        "received_date",
        "due_date",
        "overdue",
        "masked_phone",
    ]
    list_display_links = ["tracking_code", "title"]
    list_select_related = ["category", "region"]
    autocomplete_fields = ["region"]
    list_filter = [
        "status",
        CategoryFilter,
        "channel",
        RegionDrillDownFilter,
        DepartmentFilter,
        OverdueFilter,
        YearEndSortingFilter,
    ]
    # A drill-down by year, month and day from the calendar (liaison.changelist): the
    # chosen period is an index range on received_at, and no query lists the dates.
    date_hierarchy = "received_at"
    # Shown as the search box's reach; get_search_results picks one lookup per term.
    search_fields = ["=tracking_code", "=phone_hmac", "title"]
    search_help_text = _("A tracking code, a full mobile number, or words of the title.")
    inlines = [AssignmentInline, ReplyInline, FollowUpInline, EventInline]
    actions = [
        "assign_cases",
        "remind_cases",
        "close_cases",
        "merge_cases",
        "record_phone_follow_up",
    ]
    fieldsets = (
        (
            _("The opinion"),
            {
                "fields": (
                    "tracking_code",
                    ("channel", "received_at"),
                    ("station", "deputy"),
                    ("category", "region"),
                    "title",
                    "content",
                    "photo_thumbnails",
                )
            },
        ),
        (
            _("Constituent"),
            {
                "fields": (
                    "name_display",
                    "phone_display",
                    "do_not_contact",
                    ("consent_at", "consent_version"),
                    "anonymised_at",
                )
            },
        ),
        (
            _("Handling progress"),
            {
                "fields": (
                    ("status", "due_date", "overdue"),
                    ("replied_at", "closed_at", "reopen_count"),
                    ("satisfaction_display", "year_end_sorting"),
                    "merged_into_link",
                )
            },
        ),
    )
    # What the constituent said, and everything the services keep, is not typed over.
    readonly_fields = [
        "tracking_code",
        "channel",
        "received_at",
        "station",
        "deputy",
        "title",
        "content",
        "photo_thumbnails",
        "name_display",
        "phone_display",
        "do_not_contact",
        "consent_at",
        "consent_version",
        "anonymised_at",
        "status",
        "due_date",
        "overdue",
        "replied_at",
        "closed_at",
        "reopen_count",
        "satisfaction_display",
        "year_end_sorting",
        "merged_into_link",
    ]

    # -- Permissions: items come in through the intake service and are never deleted
    # (KeptRecordsMixin); whoever may see the list may export the ledger.

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return readonly
        if obj.status != Case.Status.RECEIVED:
            # Moving an assigned item would leave it with a department that does not
            # serve its new region: return or re-assign it instead.
            readonly.append("region")
        if not obj.is_open:
            # A finished item stays on the ledger as it ended.
            readonly.append("category")
        return readonly

    def get_resource_kwargs(self, request, *args, **kwargs):
        return super().get_resource_kwargs(request, *args, **kwargs) | {"user": request.user}

    def get_export_filename(self, request, queryset, file_format):
        return f"suggestions-ledger-{timezone.localdate():%Y-%m-%d}.{file_format.get_extension()}"

    # -- The changelist

    @admin.display(description=_("received"), ordering="received_at")
    def received_date(self, suggestion: Suggestion):
        return timezone.localdate(suggestion.received_at)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, suggestion: Suggestion) -> bool:
        return suggestion.is_overdue()

    @admin.display(description=_("mobile"))
    def masked_phone(self, suggestion: Suggestion) -> str:
        return suggestion.masked_phone

    def get_search_results(self, request, queryset, search_term):
        """One indexed lookup chosen by the shape of the term, not an OR over columns:
        a tracking code (its unique index), a full mobile number (the index of its keyed
        hash: the number itself is encrypted, so there is no search by part of it), or
        words of the title (the trigram index of migration 0005 on ``UPPER(title)``). A
        title term shorter than three characters has no trigram to look up, so it reads
        the rows newest first until the page is full."""
        term = search_term.strip()
        if not term:
            return queryset, False
        code = term.upper()
        if len(code) == TRACKING_LENGTH and set(code) <= set(TRACKING_ALPHABET):
            return queryset.filter(tracking_code=code), False
        digits = services.normalise_phone(term)
        if term.replace(" ", "").replace("-", "").lstrip("+").isdigit() and len(digits) == 11:
            return queryset.filter(phone_hmac=phone_index(digits)), False
        return queryset.filter(title__icontains=term), False

    # -- The item page

    @admin.display(description=_("photos"))
    def photo_thumbnails(self, suggestion: Suggestion) -> str:
        photos = list(suggestion.photos.all())
        if not photos:
            return "—"
        return format_html_join(
            " ",
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" '
            'style="max-height: 120px; max-width: 160px; margin-right: 8px"></a>',
            ((p.image.url, p.image.url, gettext("Photo")) for p in photos),
        )

    @admin.display(description=_("satisfaction"))
    def satisfaction_display(self, suggestion: Suggestion) -> str:
        if not suggestion.satisfaction:
            return "—"
        try:
            return FollowUp.Rating(suggestion.satisfaction).label
        except ValueError:
            return suggestion.satisfaction

    @admin.display(description=_("year-end sorting"))
    def year_end_sorting(self, suggestion: Suggestion) -> str:
        sorting = suggestion.year_end_sorting
        return Case.Outcome(sorting).label if sorting else "—"

    @admin.display(description=_("merged into"))
    def merged_into_link(self, suggestion: Suggestion) -> str:
        return item_link(suggestion.merged_into) if suggestion.merged_into_id else "—"

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The action buttons come from HandlingButtonsMixin; an open item also lists
        # the open items like it (candidates for merging).
        if obj is not None and change:
            context["similar_cases"] = (
                selectors.similar_open_cases(case=obj, user=request.user) if obj.is_open else []
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _handling_actions(self, suggestion: Suggestion) -> list[tuple[str, str]]:
        """The actions that apply to an item in its status, as buttons on its page."""
        S = Case.Status
        status = suggestion.status
        offered = []
        if status in (S.RECEIVED, S.ASSIGNED, S.REOPENED):
            offered.append(("assign_cases", _("Assign or re-assign…")))
        if status in Case.HANDLING_STATUSES:
            offered.append(("remind_cases", _("Send a reminder")))
        if status in (S.REPLIED, S.ANSWERED_ON_SPOT):
            offered.append(("record_phone_follow_up", _("Log a telephone follow-up…")))
        if status in (S.RECEIVED, S.ASSIGNED, S.REPLIED, S.ANSWERED_ON_SPOT):
            offered.append(("close_cases", _("Close…")))
        return offered

    # -- Actions: each calls a service per item and reports what failed and why

    @admin.action(description=_("Assign or re-assign…"), permissions=["change"])
    def assign_cases(self, request, queryset):
        items = list(queryset.select_related("category", "region"))
        if self._too_many(request, items):
            return self._finish(request)
        departments = self._departments_serving(request, items)
        if not departments.exists():
            self.message_user(
                request,
                gettext(
                    "No department of yours serves all the selected items; "
                    "assign them in smaller groups."
                ),
                messages.WARNING,
            )
            return self._finish(request)
        rules = {}

        def rule_for(item):
            key = (item.region_id, item.category_id)
            if key not in rules:
                rules[key] = services.routing_rule_for(
                    region_code=item.region_id, category=item.category
                )
            return rules[key]

        initial = {}
        if len({(s.region_id, s.category_id) for s in items}) == 1:
            rule = rule_for(items[0])
            initial["time_limit_days"] = (
                rule.time_limit_days if rule else settings.LIAISON_DEFAULT_TIME_LIMIT
            )
            if rule and departments.filter(pk=rule.department_id).exists():
                initial["lead"] = rule.department_id
        applying = "apply" in request.POST
        form = AssignForm(
            request.POST if applying else None, departments=departments, initial=initial
        )
        if applying and form.is_valid():
            data = form.cleaned_data

            def assign(item):
                rule = rule_for(item)
                days = data["time_limit_days"] or (
                    rule.time_limit_days if rule else settings.LIAISON_DEFAULT_TIME_LIMIT
                )
                services.case_assign(
                    case=item,
                    lead=data["lead"],
                    co_handlers=data["co_handlers"],
                    time_limit_days=days,
                    actor=request.user,
                    reason=data["reason"],
                )

            self._each(request, items, assign, gettext("Assigned: %(count)s."))
            return self._finish(request)
        return self._intermediate(
            request,
            action="assign_cases",
            items=items,
            form=form,
            title=_("Assign or re-assign"),
            submit_label=_("Assign"),
            intro=_(
                "The lead department answers the constituent; co-handlers give their "
                "opinion to the lead. Re-assigning withdraws the current departments and "
                "starts a new time limit."
            ),
        )

    @admin.action(description=_("Send a reminder"), permissions=["change"])
    def remind_cases(self, request, queryset):
        reminded, nobody = 0, []
        for item in queryset:
            if services.case_remind(case=item, user=request.user):
                reminded += 1
            else:
                nobody.append(item.tracking_code)
        if reminded:
            self.message_user(request, gettext("Reminders sent: %(count)s.") % {"count": reminded})
        if nobody:
            self.message_user(
                request,
                gettext("Nobody to remind (no handling department with handlers): %(codes)s.")
                % {"codes": ", ".join(nobody)},
                messages.WARNING,
            )
        return self._finish(request)

    @admin.action(description=_("Close…"), permissions=["change"])
    def close_cases(self, request, queryset):
        items = list(queryset.select_related("category", "region"))
        if self._too_many(request, items):
            return self._finish(request)
        applying = "apply" in request.POST
        form = CloseForm(request.POST if applying else None)
        if applying and form.is_valid():
            outcome, note = form.cleaned_data["outcome"], form.cleaned_data["note"].strip()
            self._each(
                request,
                items,
                lambda item: services.case_close(
                    case=item, user=request.user, outcome=outcome, note=note
                ),
                gettext("Closed: %(count)s."),
            )
            return self._finish(request)
        return self._intermediate(
            request,
            action="close_cases",
            items=items,
            form=form,
            title=_("Close"),
            submit_label=_("Close"),
            intro=_(
                "Close a reply nobody will rate, or an item that cannot be done (in "
                "litigation, arbitration or administrative review, or outside any body's "
                "remit)."
            ),
        )

    @admin.action(description=_("Merge into the first selected…"), permissions=["change"])
    def merge_cases(self, request, queryset):
        items = list(queryset.select_related("category", "region"))
        if self._too_many(request, items):
            return self._finish(request)
        if len(items) < 2:
            self.message_user(
                request, gettext("Select at least two items to merge."), messages.WARNING
            )
            return self._finish(request)
        # The first selected, in the order the boxes were ticked on the page.
        order = {pk: i for i, pk in enumerate(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME))}
        items.sort(key=lambda s: order.get(str(s.pk), len(order)))
        applying = "apply" in request.POST
        form = MergeForm(
            request.POST if applying else None,
            items=queryset,
            initial={"primary": items[0].pk},
        )
        if applying and form.is_valid():
            primary = form.cleaned_data["primary"]
            duplicates = [s for s in items if s.pk != primary.pk]
            try:
                merged = services.case_merge(
                    primary=primary, duplicates=duplicates, user=request.user
                )
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("Merged into %(code)s: %(count)s.")
                    % {"code": primary.tracking_code, "count": merged},
                    messages.SUCCESS,
                )
            return self._finish(request)
        return self._intermediate(
            request,
            action="merge_cases",
            items=items,
            form=form,
            title=_("Merge items"),
            submit_label=_("Merge"),
            intro=_("Only open items of the same township can be merged."),
        )

    @admin.action(description=_("Log a telephone follow-up…"), permissions=["change"])
    def record_phone_follow_up(self, request, queryset):
        items = list(queryset.select_related("category", "region"))
        if self._too_many(request, items):
            return self._finish(request)
        applying = "apply" in request.POST
        form = PhoneFollowUpForm(request.POST if applying else None)
        if applying and form.is_valid():
            rating, comment = form.cleaned_data["rating"], form.cleaned_data["comment"]
            self._each(
                request,
                items,
                lambda item: services.case_rate(
                    case=item,
                    rating=rating,
                    comment=comment,
                    method=FollowUp.Method.PHONE,
                    recorded_by=request.user,
                ),
                gettext("Follow-ups recorded: %(count)s."),
            )
            return self._finish(request)
        return self._intermediate(
            request,
            action="record_phone_follow_up",
            items=items,
            form=form,
            title=_("Log a telephone follow-up"),
            submit_label=_("Record"),
            intro=_(
                "Record the rating the constituent gave on the phone. “Unsatisfied” "
                "reopens the item for re-handling."
            ),
        )


import suggestions.admin_receptions  # noqa: E402, F401
from suggestions import admin_deputy, admin_integrations  # noqa: E402, F401
