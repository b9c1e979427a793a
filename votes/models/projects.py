"""Implementation of the selected projects: the plan, milestones, progress reports,
photos, the supervising deputy group and its inspections (年初问计划、年中问进度、
年底问效果)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from stations.models import Deputy, DeputyGroup
from votes.models.cycles import TEXT_MAX, Candidate, text_max

__all__ = ["Inspection", "Milestone", "ProgressReport", "Project", "ProjectPhoto"]

percent_validators = [MinValueValidator(0), MaxValueValidator(100)]


class Project(models.Model):
    """A selected candidate being carried out (民生实事项目)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        UNDERWAY = "underway", _("Under way")
        COMPLETED = "completed", _("Completed")
        DELAYED = "delayed", _("Delayed")
        SUSPENDED = "suspended", _("Suspended")

    candidate = models.OneToOneField(
        Candidate, verbose_name=_("project"), on_delete=models.PROTECT, related_name="project"
    )
    plan = models.TextField(
        _("implementation plan"), blank=True, max_length=TEXT_MAX, validators=text_max
    )
    supervising_group = models.ForeignKey(
        DeputyGroup,
        verbose_name=_("supervising deputy group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervised_projects",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    budget = models.DecimalField(
        _("budget (10,000 yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    spent = models.DecimalField(
        _("spent (10,000 yuan)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=percent_validators
    )
    started_on = models.DateField(_("started"), null=True, blank=True)
    completed_on = models.DateField(_("completed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    region_path = "candidate__cycle__congress__region"

    class Meta:
        verbose_name = _("livelihood project")
        verbose_name_plural = _("livelihood projects")
        ordering = ["candidate__cycle_id", "candidate__number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="project_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.candidate.title


class Milestone(models.Model):
    """A dated step of a project; overdue ones are chased by a daily reminder."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="milestones"
    )
    title = models.CharField(_("milestone"), max_length=100)
    due_date = models.DateField(_("due"))
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=percent_validators
    )
    completed_on = models.DateField(_("completed"), null=True, blank=True)

    region_path = "project__candidate__cycle__congress__region"

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["project_id", "due_date", "id"]
        indexes = [
            # The overdue sweep reads only open milestones by due date.
            models.Index(
                fields=["due_date"],
                name="milestone_open_due_idx",
                condition=models.Q(completed_on__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="milestone_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProgressReport(models.Model):
    """A dated report of a project's progress and spending (the public page's timeline)."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="reports"
    )
    reported_on = models.DateField(_("date"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"), validators=percent_validators)
    spent = models.DecimalField(
        _("spent to date (10,000 yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    note = models.TextField(_("what was done"), max_length=TEXT_MAX, validators=text_max)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("entered"), auto_now_add=True)

    region_path = "project__candidate__cycle__congress__region"

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["project_id", "-reported_on", "-id"]

    def __str__(self) -> str:
        return f"{self.project} · {self.reported_on} · {self.progress}%"


class ProjectPhoto(models.Model):
    """A photo of the works, shown on the public progress page."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("photo"), upload_to="projects/%Y/%m/")
    caption = models.CharField(_("caption"), max_length=100, blank=True)
    taken_on = models.DateField(_("taken"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    region_path = "project__candidate__cycle__congress__region"

    class Meta:
        verbose_name = _("project photo")
        verbose_name_plural = _("project photos")
        ordering = ["project_id", "-taken_on", "-id"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class Inspection(models.Model):
    """An inspection by the supervising deputies (代表视察), with their report."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("Start of year: the plan")
        MID_YEAR = "mid_year", _("Mid-year: progress")
        YEAR_END = "year_end", _("Year end: results")
        SPOT = "spot", _("Spot check")

    class Finding(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        CONCERNS = "concerns", _("Concerns raised")
        SERIOUS = "serious", _("Serious problems")

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="inspections"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    inspected_on = models.DateField(_("inspected"))
    finding = models.CharField(_("finding"), max_length=10, choices=Finding.choices)
    report = models.TextField(_("report"), max_length=TEXT_MAX, validators=text_max)
    deputies = models.ManyToManyField(
        Deputy, verbose_name=_("deputies taking part"), related_name="inspections", blank=True
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    region_path = "project__candidate__cycle__congress__region"

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["project_id", "inspected_on", "id"]
        constraints = [
            # One mid-year and one year-end report per project; spot checks as many as needed.
            models.UniqueConstraint(
                fields=["project", "kind"],
                condition=models.Q(kind__in=["plan", "mid_year", "year_end"]),
                name="inspection_one_per_stage",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.get_kind_display()}"
