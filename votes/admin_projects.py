"""Implementation tracking of the selected projects in the admin (年初问计划、年中问进度、
年底问效果).

Projects come from the count (``services.implementation_start``), never from the add
page. Progress reports, photos and inspections are recorded on pages of their own that
call ``votes.tracking`` (the report moves the project's progress and spending; the photo
loses its EXIF position; a serious finding reaches the office's inbox), and the project
page shows them read-only. Inspections submitted by deputies are theirs: shown, not
edited. Once the cycle leaves implementation, the record is closed and read-only.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from liaison import regions, scoping
from liaison.admin import ScopedAdmin, ScopedInline, admin_page
from stations.models import DeputyGroup
from votes import tracking
from votes.admin_forms import (
    InspectionForm,
    InspectionInlineForm,
    InspectionInlineFormSet,
    MilestoneInlineForm,
    PhotoForm,
    ProgressReportForm,
    service_error,
)
from votes.models import Inspection, Milestone, Phase, ProgressReport, Project, ProjectPhoto


def _is_open(project: Project | None) -> bool:
    """Tracking is written only while the cycle is being implemented."""
    return project is not None and project.candidate.cycle.phase == Phase.IMPLEMENTING


class TrackingInline(ScopedInline, admin.TabularInline):
    extra = 0
    related: tuple = ()

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(*self.related)

    def has_add_permission(self, request, obj=None):
        return _is_open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _is_open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_open(obj) and super().has_delete_permission(request, obj)


class MilestoneInline(TrackingInline):
    model = Milestone
    form = MilestoneInlineForm
    fields = ["title", "due_date", "progress", "completed_on"]
    ordering = ["due_date", "id"]


class RecordInline(TrackingInline):
    """Records added on their own page (through votes.tracking), listed here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProgressReportInline(RecordInline):
    model = ProgressReport
    fields = ["reported_on", "progress", "spent", "note", "created_by", "created_at"]
    readonly_fields = fields
    related = ("created_by",)


class PhotoInline(RecordInline):
    model = ProjectPhoto
    fields = ["thumbnail", "caption", "taken_on", "uploaded_by", "created_at"]
    readonly_fields = fields
    related = ("uploaded_by",)

    @admin.display(description=_("photo"))
    def thumbnail(self, photo: ProjectPhoto) -> str:
        if not photo.image:
            return "—"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" '
            'style="max-height: 80px; max-width: 120px"></a>',
            photo.image.url,
            photo.image.url,
            photo.caption or gettext("Photo"),
        )


class InspectionInline(TrackingInline):
    model = Inspection
    form = InspectionInlineForm
    formset = InspectionInlineFormSet
    fields = ["kind", "inspected_on", "finding", "report", "deputies", "submitted_by"]
    readonly_fields = ["submitted_by"]
    related = ("submitted_by",)
    autocomplete_fields = ["deputies"]

    def has_add_permission(self, request, obj=None):
        return False  # through the inspection page: inspection_submit checks the group

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("deputies")


@dataclass(frozen=True)
class RecordPage:
    """A project's page of one kind of record: a form whose valid POST calls
    ``service(project=, by=, **cleaned_data)``. ``form_kwargs`` gives the form's further
    keyword arguments from the project."""

    form: type[forms.BaseForm]
    service: Callable[..., object]
    title: str
    done: str
    multipart: bool = False
    form_kwargs: Callable[[Project], dict] = lambda project: {}


# At <project>/<kind>/, named ``votes_project_<kind>``.
RECORD_PAGES: dict[str, RecordPage] = {
    "report": RecordPage(
        ProgressReportForm,
        tracking.progress_report_add,
        _("Add a progress report"),
        _("Progress report added."),
    ),
    "photo": RecordPage(
        PhotoForm, tracking.photo_add, _("Add a photo"), _("Photo added."), multipart=True
    ),
    "inspection": RecordPage(
        InspectionForm,
        tracking.inspection_submit,
        _("Record an inspection"),
        _("Inspection recorded."),
        form_kwargs=lambda project: {"deputies": tracking.inspectors_of(project)},
    ),
}


@admin.register(Project)
class ProjectAdmin(ScopedAdmin):
    list_display = [
        "title",
        "cycle",
        "status",
        "progress",
        "budget",
        "spent",
        "supervising_group",
        "updated_at",
    ]
    list_select_related = ["candidate", "candidate__cycle", "supervising_group"]
    list_filter = ["status", ("candidate__cycle", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["candidate__title"]
    ordering = ["-candidate__cycle__year", "candidate__cycle_id", "candidate__number"]
    fieldsets = [
        (None, {"fields": ("candidate", "plan", "supervising_group", "status", "budget")}),
        (
            _("Progress"),
            {
                "fields": ("progress", "spent", "started_on", "completed_on", "updated_at"),
                "description": _("Follows the latest progress report."),
            },
        ),
    ]
    readonly_fields = ["candidate", "progress", "spent", "started_on", "completed_on", "updated_at"]
    inlines = [MilestoneInline, ProgressReportInline, PhotoInline, InspectionInline]
    change_form_template = "admin/votes/project/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("candidate__cycle__congress")

    @admin.display(description=_("project"), ordering="candidate__title")
    def title(self, project: Project) -> str:
        return project.candidate.title

    @admin.display(description=_("ballot cycle"), ordering="candidate__cycle__year")
    def cycle(self, project: Project) -> str:
        return project.candidate.cycle.title

    def has_add_permission(self, request):
        return False  # selected by the vote: services.implementation_start makes them

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not _is_open(obj):
            readonly += ["plan", "supervising_group", "status", "budget"]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "supervising_group" in form.base_fields:
            form.base_fields["supervising_group"].queryset = self._groups_for(request, obj)
        return form

    @staticmethod
    def _groups_for(request, project: Project):
        """The deputy groups of the project's congress's region (and its parts), within
        the user's own region."""
        congress = project.candidate.cycle.congress
        groups = scoping.scope(DeputyGroup.objects.all(), request.user)
        if congress.region_id:
            groups = groups.filter(region__code__startswith=regions.prefix_of(congress.region_id))
        return groups.filter(Q(congress__isnull=True) | Q(congress=congress)).order_by("name")

    def save_formset(self, request, form, formset, change):
        if formset.model is not Milestone:
            return super().save_formset(request, form, formset, change)
        # Titles and dates are the milestone's own; progress goes through the service,
        # which completes the milestone at 100% (checks made by the form already).
        formset.save(commit=False)  # fills deleted_objects and the forms' instances
        for obj in formset.deleted_objects:
            obj.delete()
        for milestone_form in formset.forms:
            if milestone_form in formset.deleted_forms or not milestone_form.has_changed():
                continue
            self._save_milestone(request, milestone_form)
        return None

    def _save_milestone(self, request, milestone_form) -> None:
        milestone = milestone_form.instance
        progress, completed_on = milestone.progress, milestone.completed_on
        moved = {"progress", "completed_on"} & set(milestone_form.changed_data)
        if milestone.pk is None:
            milestone.progress, milestone.completed_on = 0, None
            milestone.save()
        else:
            milestone.save(update_fields=["title", "due_date"])
        if not moved:
            return
        try:
            tracking.milestone_update(
                milestone=milestone, progress=progress, completed_on=completed_on, by=request.user
            )
        except (ValidationError, PermissionDenied) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(
                request,
                gettext("“%(title)s”: progress not changed. %(error)s")
                % {"title": milestone.title, "error": text},
                messages.ERROR,
            )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            context["tracking_open"] = _is_open(obj) and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # -- Pages that record through votes.tracking

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            *(
                path(
                    f"<path:object_id>/{kind}/",
                    view(self.record_view),
                    {"kind": kind},
                    name=f"votes_project_{kind}",
                )
                for kind in RECORD_PAGES
            ),
            *super().get_urls(),
        ]

    def record_view(self, request, object_id, kind: str):
        """Add a record of one kind (``RECORD_PAGES``); the service's refusal lands on
        the form."""
        page = RECORD_PAGES[kind]
        project = self.object_to_change(request, object_id)
        posted = request.method == "POST"
        form = page.form(
            request.POST if posted else None,
            request.FILES if posted and page.multipart else None,
            **page.form_kwargs(project),
        )
        if posted and form.is_valid():
            try:
                page.service(project=project, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                service_error(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc) or gettext("You may not do this."))
            else:
                self.message_user(request, page.done, messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:votes_project_change", args=[project.pk])
                )
        return admin_page(
            self,
            request,
            "admin/votes/project/record_form.html",
            {
                "original": project,
                "title": page.title,
                "form": form,
                "multipart": page.multipart,
                "media": self.media + form.media,
            },
        )
