"""The liaison office's side of formal deputy suggestions (代表建议) in the admin.

Staff review what deputies submitted (accept and number it, or return it with a
reason), assign it to a lead department and co-handlers with a time limit in months
(Deputies Law art. 51: 3, or 6 for wide-ranging ones), put key suggestions under a
leader's supervision (重点督办), chase the departments, and print the year's handling
report or take it to Excel. Every step calls ``suggestions.deputy_suggestions`` or
``suggestions.services``; what the deputies wrote is read-only here.

A draft the deputy has never submitted is the deputy's own work in progress: the
office sees a draft only once it went back to the deputy from the office.
"""

import io

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import HttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.styles import Font

from liaison import scoping
from liaison.admin import (
    AuditHistoryMixin,
    HandlingButtonsMixin,
    KeptRecordsMixin,
    ScopedAdmin,
    ScopedInline,
    admin_page,
)
from liaison.reports import Figure
from stations.models import Congress
from suggestions import deputy_suggestions as ds
from suggestions import services
from suggestions.admin import (
    AssignForm,
    EventInline,
    OverdueFilter,
    RecordInline,
    ServiceActionsMixin,
)
from suggestions.models import (
    Assignment,
    Case,
    CoSigner,
    DeputySuggestion,
    FollowUp,
    Reply,
    ResultClass,
)

S = Case.Status
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def number_of(suggestion: DeputySuggestion) -> str:
    return f"{suggestion.year}-{suggestion.number}" if suggestion.number else ""


def label_of(suggestion: DeputySuggestion) -> str:
    """How a message names an item: its number, or its title before it has one."""
    return number_of(suggestion) or suggestion.title


# --- Read-only inlines ----------------------------------------------------------------


class CoSignerInline(ScopedInline, admin.TabularInline):
    model = CoSigner
    fk_name = "suggestion"
    fields = ["deputy", "status", "invited_at", "responded_at"]
    readonly_fields = fields
    ordering = ["invited_at", "id"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("deputy")


class DeputyAssignmentInline(RecordInline):
    model = Assignment
    fields = [
        "department",
        "role",
        "status",
        "time_limit_months",
        "assigned_at",
        "due_date",
        "assigned_by",
        "return_reason",
    ]
    related = ("department", "assigned_by")
    ordering = ["assigned_at", "id"]


class DeputyReplyInline(RecordInline):
    model = Reply
    fields = [
        "created_at",
        "department",
        "addressee",
        "result_class",
        "public_text",
        "internal_note",
    ]
    related = ("department", "addressee")
    ordering = ["created_at", "id"]


class DeputyFollowUpInline(RecordInline):
    model = FollowUp
    fields = ["round", "rater", "rating", "method", "comment", "recorded_by", "created_at"]
    related = ("rater", "recorded_by")
    ordering = ["round", "created_at", "id"]


# --- The changelist's filters ---------------------------------------------------------


class DeputyStatusFilter(admin.SimpleListFilter):
    """The statuses a deputy suggestion goes through; a draft here is one the office
    returned to the deputy."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (S.SUBMITTED, S.SUBMITTED.label),
            (S.DRAFT, _("Returned to the deputy")),
            (S.RECEIVED, _("Accepted, to assign")),
            (S.ASSIGNED, S.ASSIGNED.label),
            (S.REPLIED, S.REPLIED.label),
            (S.REOPENED, S.REOPENED.label),
            (S.CLOSED, S.CLOSED.label),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value in {code for code, _label in self.lookups(request, None)}:
            return queryset.filter(status=value)
        return queryset


def scoped_congresses(user):
    return scoping.scope(Congress.objects.all(), user).order_by("region_id", "level", "term")


class CongressFilter(admin.SimpleListFilter):
    title = _("congress")
    parameter_name = "congress"

    def lookups(self, request, model_admin):
        return [(str(congress.pk), str(congress)) for congress in scoped_congresses(request.user)]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(congress_id=int(value))
        return queryset


# --- The forms of the actions' intermediate pages -------------------------------------


class ConfirmForm(forms.Form):
    """An action with nothing to fill in: the page lists the items, the button acts."""


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("What should the deputy change?"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what the deputy should change.")},
        help_text=_("The deputy reads it with the returned draft, e.g. “not specific enough”."),
    )


class DeputyAssignForm(AssignForm):
    """The opinions' assign form without a time limit: deputy suggestions are due by
    calendar months (Deputies Law art. 51), which the service computes."""

    time_limit_days = None
    reason = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the office and the departments; the deputies do not see it."),
    )


class WideRangingForm(forms.Form):
    reason = forms.CharField(
        label=_("Why does it need 6 months?"),
        max_length=200,
        error_messages={"required": _("Say why it needs 6 months.")},
        help_text=_("e.g. “involves several departments and next year's budget”."),
    )


class PriorityForm(forms.Form):
    leader = forms.CharField(
        label=_("Supervising leader"),
        max_length=50,
        error_messages={"required": _("Name the supervising leader.")},
        help_text=_("e.g. “Deputy director Wang of the standing committee”."),
    )


class ReportForm(forms.Form):
    congress = forms.ModelChoiceField(
        label=_("Congress"), queryset=Congress.objects.none(), empty_label=None
    )
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        congresses = scoped_congresses(user)
        self.fields["congress"].queryset = congresses
        numbered = scoping.scope(DeputySuggestion.objects.exclude(year=None), user)
        years = set(numbered.order_by().values_list("year", flat=True).distinct())
        years.add(timezone.localdate().year)
        self.fields["year"].choices = [(year, str(year)) for year in sorted(years, reverse=True)]


# --- The annual report: one set of figures for the page and the Excel file ------------


def report_figures(report: dict) -> list[Figure]:
    """The report's headline figures, in the order both formats show them."""
    return [
        Figure("total", gettext("Suggestions accepted"), report["total"]),
        Figure("replied", gettext("Replied"), report["replied"]),
        Figure("unreplied", gettext("Not yet replied"), report["unreplied"]),
        Figure("on_time", gettext("Replied on time"), report["on_time"]),
        Figure("on_time_rate", gettext("On-time rate"), report["on_time_rate"], percent=True),
        Figure("rated", gettext("Ratings by deputies"), report["rated"]),
        Figure("satisfied", gettext("Satisfied or basically satisfied"), report["satisfied"]),
        Figure(
            "satisfaction_rate",
            gettext("Satisfaction rate"),
            report["satisfaction_rate"],
            percent=True,
        ),
    ]


def report_classes(report: dict) -> list[Figure]:
    """Suggestions by result class, and those without one yet."""
    rows = [
        Figure(row["code"], f"{row['code']} {row['name']}", row["count"])
        for row in report["classes"]
    ]
    classified = sum(row["count"] for row in report["classes"])
    rows.append(
        Figure("unclassified", gettext("No result class yet"), report["total"] - classified)
    )
    return rows


def report_priority_rows(report: dict) -> list[list[str]]:
    return [
        [
            number_of(item),
            item.title,
            item.author.name,
            item.supervising_leader,
            str(item.result_class) if item.result_class_id else "—",
            item.get_status_display(),
        ]
        for item in report["priority"]
    ]


def priority_headers() -> list[str]:
    return [
        gettext("Number"),
        gettext("Title"),
        gettext("Lead deputy"),
        gettext("Supervising leader"),
        gettext("Result class"),
        gettext("Status"),
    ]


def report_title(report: dict) -> str:
    return gettext("Handling of deputy suggestions, %(year)s: %(congress)s") % {
        "year": report["year"],
        "congress": report["congress"],
    }


def report_xlsx(report: dict) -> bytes:
    """The report as an Excel workbook: the same figures as the page, as numbers."""
    book = Workbook()
    sheet = book.active
    sheet.title = gettext("Report")[:31]
    bold = Font(bold=True)
    sheet.append([report_title(report)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([gettext("Made on"), timezone.localdate().isoformat()])
    sheet.append([])

    def section(heading: str, figures: list[Figure]) -> None:
        sheet.append([heading])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        for figure in figures:
            if figure.value is None:
                sheet.append([figure.label, "—"])
            elif figure.percent:
                sheet.append([figure.label, figure.value / 100])
                sheet.cell(row=sheet.max_row, column=2).number_format = "0.0%"
            else:
                sheet.append([figure.label, figure.value])
        sheet.append([])

    section(gettext("Figures"), report_figures(report))
    section(gettext("By result class"), report_classes(report))
    sheet.append([gettext("Under priority supervision")])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append(priority_headers())
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in report_priority_rows(report):
        sheet.append(row)
    sheet.column_dimensions["A"].width = 36
    sheet.column_dimensions["B"].width = 40
    for column in "CDEF":
        sheet.column_dimensions[column].width = 18
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- Deputy suggestions ---------------------------------------------------------------


@admin.register(DeputySuggestion)
class DeputySuggestionAdmin(
    KeptRecordsMixin, HandlingButtonsMixin, ServiceActionsMixin, ScopedAdmin
):
    action_template = "admin/suggestions/deputysuggestion/action_form.html"
    list_display = [
        "number_display",
        "title",
        "author",
        "congress",
        "status",
        "timing",
        "due_date",
        "overdue",
        "result_class",
        "priority",
        "wide_ranging",
    ]
    list_display_links = ["number_display", "title"]
    list_select_related = ["author", "congress", "result_class"]
    list_filter = [
        DeputyStatusFilter,
        CongressFilter,
        "result_class",
        "priority",
        "wide_ranging",
        OverdueFilter,
    ]
    # Shown as the search box's reach; get_search_results picks the lookup.
    search_fields = ["number", "title", "author__name"]
    search_help_text = _(
        "A number such as 2026-015 or 015, words of the title, or a deputy's name."
    )
    # Waiting for review (no number yet) first, then the newest numbers.
    ordering = [F("year").desc(nulls_first=True), "-number", "-received_at"]
    inlines = [
        CoSignerInline,
        DeputyAssignmentInline,
        DeputyReplyInline,
        DeputyFollowUpInline,
        EventInline,
    ]
    actions = [
        "accept_suggestions",
        "return_suggestions",
        "assign_suggestions",
        "mark_wide_ranging",
        "flag_priority",
        "remind_suggestions",
    ]
    fieldsets = (
        (
            _("The suggestion"),
            {
                "fields": (
                    ("number_display", "congress"),
                    ("author", "cosigners_display"),
                    ("timing", "category"),
                    "title",
                    "content",
                    "sources_display",
                )
            },
        ),
        (
            _("Review by the office"),
            {"fields": (("submitted_at", "accepted_at"), "office_note")},
        ),
        (
            _("Handling progress"),
            {
                "fields": (
                    ("status", "due_date", "overdue"),
                    ("wide_ranging", "wide_ranging_reason"),
                    ("priority", "supervising_leader"),
                    ("result_class", "review_due"),
                    ("replied_at", "closed_at", "reopen_count"),
                    "satisfaction_display",
                )
            },
        ),
    )
    readonly_fields = [
        "number_display",
        "congress",
        "author",
        "cosigners_display",
        "timing",
        "title",
        "content",
        "sources_display",
        "submitted_at",
        "accepted_at",
        "office_note",
        "status",
        "due_date",
        "overdue",
        "wide_ranging",
        "wide_ranging_reason",
        "priority",
        "supervising_leader",
        "result_class",
        "review_due",
        "replied_at",
        "closed_at",
        "reopen_count",
        "satisfaction_display",
    ]

    # Deputies write suggestions on their pages (KeptRecordsMixin: no add, no delete).

    def get_queryset(self, request):
        # A draft never submitted is the deputy's own; a returned one is the office's too.
        return super().get_queryset(request).exclude(status=S.DRAFT, submitted_at__isnull=True)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not (obj.is_open or obj.status == S.SUBMITTED):
            # A finished suggestion stays on the record as it ended.
            readonly.append("category")
        return readonly

    # -- The changelist

    @admin.display(description=_("number"), ordering="number")
    def number_display(self, suggestion: DeputySuggestion) -> str:
        return number_of(suggestion) or "—"

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, suggestion: DeputySuggestion) -> bool:
        return suggestion.is_overdue()

    def get_search_results(self, request, queryset, search_term):
        """A number (2026-015, or 015 in any year), else words of the title or a
        deputy's name."""
        term = search_term.strip()
        if not term:
            return queryset, False
        year, _dash, number = term.rpartition("-")
        if number.isdigit() and len(number) <= 3 and (not year or year.isdigit()):
            found = queryset.filter(number=number.zfill(3))
            return (found.filter(year=int(year)) if year else found), False
        words = Q(title__icontains=term) | Q(author__name__icontains=term)
        return queryset.filter(words), False

    # -- The item page

    @admin.display(description=_("co-signers"))
    def cosigners_display(self, suggestion: DeputySuggestion) -> str:
        cosigners = suggestion.cosigners.select_related("deputy").order_by("invited_at", "id")
        if not cosigners:
            return "—"
        return format_html_join(
            "、", "{}（{}）", ((c.deputy.name, c.get_status_display()) for c in cosigners)
        )

    @admin.display(description=_("from constituent opinions"))
    def sources_display(self, suggestion: DeputySuggestion) -> str:
        sources = list(suggestion.source_cases.order_by("received_at"))
        if not sources:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">#{} {}</a>',
            (
                (reverse("admin:suggestions_suggestion_change", args=[s.pk]), s.pk, s.title)
                for s in sources
            ),
        )

    @admin.display(description=_("satisfaction"))
    def satisfaction_display(self, suggestion: DeputySuggestion) -> str:
        if not suggestion.satisfaction:
            return "—"
        try:
            return FollowUp.Rating(suggestion.satisfaction).label
        except ValueError:
            return suggestion.satisfaction

    def _handling_actions(self, suggestion: DeputySuggestion) -> list[tuple[str, str]]:
        """The actions that apply to a suggestion in its status, as buttons on its page."""
        status = suggestion.status
        offered = []
        if status == S.SUBMITTED:
            offered += [
                ("accept_suggestions", _("Accept and number…")),
                ("return_suggestions", _("Return to the deputy…")),
            ]
        if status in (S.RECEIVED, S.ASSIGNED, S.REOPENED):
            offered.append(("assign_suggestions", _("Assign or re-assign…")))
        if status in Case.HANDLING_STATUSES:
            offered.append(("remind_suggestions", _("Send a reminder")))
        if not suggestion.wide_ranging and (suggestion.is_open or status == S.SUBMITTED):
            offered.append(("mark_wide_ranging", _("Wide-ranging: 6 months…")))
        if not suggestion.priority and status != S.CLOSED:
            offered.append(("flag_priority", _("Priority supervision…")))
        return offered

    # -- The annual report

    def get_urls(self):
        return [
            path(
                "report/",
                self.admin_site.admin_view(self.report_view),
                name="suggestions_deputysuggestion_report",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request):
        """The year's handling report of one congress: a printable page, or Excel."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ReportForm(request.GET or None, user=request.user)
        report = None
        if form.is_bound and form.is_valid():
            report = ds.annual_report(
                congress=form.cleaned_data["congress"], year=form.cleaned_data["year"]
            )
            if request.GET.get("format") == "xlsx":
                response = HttpResponse(report_xlsx(report), content_type=XLSX_CONTENT_TYPE)
                filename = f"deputy-suggestions-{report['congress'].pk}-{report['year']}.xlsx"
                response["Content-Disposition"] = f'attachment; filename="{filename}"'
                return response
        query = request.GET.copy()
        query["format"] = "xlsx"
        context = {
            "title": report_title(report) if report else _("Annual handling report"),
            "form": form,
            "report": report,
            "figures": report_figures(report) if report else [],
            "classes": report_classes(report) if report else [],
            "priority_headers": priority_headers(),
            "priority_rows": report_priority_rows(report) if report else [],
            "xlsx_query": query.urlencode(),
            "made_on": timezone.localdate(),
        }
        return admin_page(self, request, "admin/suggestions/deputysuggestion/report.html", context)

    # -- Actions: each calls a service per item and reports what failed and why

    def _label(self, item) -> str:
        return label_of(item)

    def _items(self, request, queryset) -> list[DeputySuggestion] | None:
        items = list(queryset.select_related("author", "congress", "region"))
        return None if self._too_many(request, items) else items

    @admin.action(description=_("Accept and number…"), permissions=["change"])
    def accept_suggestions(self, request, queryset):
        items = self._items(request, queryset)
        if items is None:
            return self._finish(request)
        if "apply" in request.POST:
            numbers = self._each(
                request,
                items,
                lambda item: ds.deputy_suggestion_accept(suggestion=item, user=request.user),
                gettext("Accepted: %(count)s."),
            )
            if numbers:
                self.message_user(
                    request,
                    gettext("Numbers given: %(numbers)s.") % {"numbers": "、".join(numbers)},
                    messages.SUCCESS,
                )
            return self._finish(request)
        return self._intermediate(
            request,
            action="accept_suggestions",
            items=items,
            form=ConfirmForm(),
            title=_("Accept and number"),
            submit_label=_("Accept"),
            intro=_(
                "Each accepted suggestion gets the next number of its congress for this "
                "year, and its lead deputy is told. Only submitted suggestions can be accepted."
            ),
        )

    def _asking_action(self, request, queryset, *, form_class, service, done: str, **page):
        """An action whose page asks for what ``form_class`` holds, then calls
        ``service(suggestion=…, user=…, **the form's data)`` for each item."""
        items = self._items(request, queryset)
        if items is None:
            return self._finish(request)
        applying = "apply" in request.POST
        form = form_class(request.POST if applying else None)
        if applying and form.is_valid():
            data = form.cleaned_data
            self._each(
                request,
                items,
                lambda item: service(suggestion=item, user=request.user, **data),
                done,
            )
            return self._finish(request)
        return self._intermediate(request, items=items, form=form, **page)

    @admin.action(description=_("Return to the deputy…"), permissions=["change"])
    def return_suggestions(self, request, queryset):
        return self._asking_action(
            request,
            queryset,
            form_class=ReturnForm,
            service=ds.deputy_suggestion_return,
            done=gettext("Returned to the deputy: %(count)s."),
            action="return_suggestions",
            title=_("Return to the deputy"),
            submit_label=_("Return"),
            intro=_(
                "The suggestion goes back to its lead deputy as a draft, with your reason. "
                "The deputy changes it and submits it again."
            ),
        )

    @admin.action(description=_("Assign or re-assign…"), permissions=["change"])
    def assign_suggestions(self, request, queryset):
        items = self._items(request, queryset)
        if items is None:
            return self._finish(request)
        departments = self._departments_serving(request, items)
        if not departments.exists():
            self.message_user(
                request,
                gettext(
                    "No department of yours serves all the selected suggestions; "
                    "assign them in smaller groups."
                ),
                messages.WARNING,
            )
            return self._finish(request)
        applying = "apply" in request.POST
        form = DeputyAssignForm(request.POST if applying else None, departments=departments)
        if applying and form.is_valid():
            data = form.cleaned_data
            self._each(
                request,
                items,
                lambda item: services.case_assign(
                    case=item,
                    lead=data["lead"],
                    co_handlers=data["co_handlers"],
                    actor=request.user,
                    reason=data["reason"],
                ),
                gettext("Assigned: %(count)s."),
            )
            return self._finish(request)
        today = timezone.localdate()
        for item in items:
            item.due_if_assigned = services.add_months(today, 6 if item.wide_ranging else 3)
        return self._intermediate(
            request,
            action="assign_suggestions",
            items=items,
            form=form,
            title=_("Assign or re-assign"),
            submit_label=_("Assign"),
            intro=_(
                "The lead department replies to each signing deputy; co-handlers give "
                "their opinion to the lead. Time limit: 3 months from assignment (6 if "
                "wide-ranging), computed automatically. Re-assigning withdraws the current "
                "departments and starts a new time limit."
            ),
        )

    @admin.action(description=_("Wide-ranging: 6 months…"), permissions=["change"])
    def mark_wide_ranging(self, request, queryset):
        return self._asking_action(
            request,
            queryset,
            form_class=WideRangingForm,
            service=ds.deputy_suggestion_set_wide_ranging,
            done=gettext("Given 6 months: %(count)s."),
            action="mark_wide_ranging",
            title=_("Wide-ranging or hard: 6 months"),
            submit_label=_("Give 6 months"),
            intro=_(
                "Deputies Law art. 51: a wide-ranging or hard suggestion is answered within "
                "6 months of assignment. A running assignment keeps its start date."
            ),
        )

    @admin.action(description=_("Priority supervision…"), permissions=["change"])
    def flag_priority(self, request, queryset):
        return self._asking_action(
            request,
            queryset,
            form_class=PriorityForm,
            service=ds.deputy_suggestion_flag_priority,
            done=gettext("Under priority supervision: %(count)s."),
            action="flag_priority",
            title=_("Priority supervision"),
            submit_label=_("Put under supervision"),
            intro=_("A leader supervises the handling of key suggestions in person (重点督办)."),
        )

    @admin.action(description=_("Send a reminder"), permissions=["change"])
    def remind_suggestions(self, request, queryset):
        reminded, nobody = 0, []
        for item in queryset:
            if services.case_remind(case=item, user=request.user):
                reminded += 1
            else:
                nobody.append(label_of(item))
        if reminded:
            self.message_user(request, gettext("Reminders sent: %(count)s.") % {"count": reminded})
        if nobody:
            self.message_user(
                request,
                gettext("Nobody to remind (no handling department with handlers): %(codes)s.")
                % {"codes": "、".join(nobody)},
                messages.WARNING,
            )
        return self._finish(request)


# --- Result classes -------------------------------------------------------------------


@admin.register(ResultClass)
class ResultClassAdmin(AuditHistoryMixin, admin.ModelAdmin):
    """The province's list of result classes (A 已解决或采纳, B 列入计划逐步解决, …)."""

    list_display = ["code", "name", "needs_review", "sort_order", "is_active"]
    list_display_links = ["code", "name"]
    list_editable = ["sort_order", "is_active"]
    list_filter = ["is_active", "needs_review"]
    search_fields = ["=code", "name"]
    ordering = ["sort_order", "code"]
    show_facets = admin.ShowFacets.NEVER
