"""Deputies' performance points (履职积分): rules per jurisdiction, entries, grade bands.

A rule gives the points of one kind of event in a region and from a date; the rule for
a deputy is that of the most specific region above the deputy's home region that is in
force on the day of the event, so a new rule never rewrites earlier points. Entries are
made once per event (``source_key``), tallied per calendar year and graded by bands.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.models import Region
from stations.models.base import Deputy

__all__ = ["GradeBand", "PointEntry", "PointKind", "PointRule"]


class PointKind(models.TextChoices):
    """What a deputy earns (or loses) points for."""

    DUTY_ATTENDED = "duty_attended", _("Reception duty attended")
    DUTY_MISSED = "duty_missed", _("Reception duty missed")
    RECEPTION_LOGGED = "reception_logged", _("Reception of constituents logged")
    SUGGESTION_SUBMITTED = "suggestion_submitted", _("Deputy suggestion submitted")
    BALLOT_CAST = "ballot_cast", _("Ballot cast on livelihood projects")
    CLAIM_ACTIVITY = "claim_activity", _("Other activity (claimed)")


class PointRule(models.Model):
    """How many points one kind of event is worth in a region, from a date on."""

    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="point_rules",
        help_text=_(
            "The rule applies to deputies whose home region lies in this region, "
            "unless a region below it has its own rule for the same kind."
        ),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=PointKind.choices)
    points = models.IntegerField(
        _("points"), help_text=_("Points per event; negative for a deduction.")
    )
    cap_per_period = models.PositiveIntegerField(
        _("cap per year"),
        null=True,
        blank=True,
        help_text=_(
            "At most this many points of this kind count in a calendar year (for a "
            "deduction: at most this many are taken off). Empty for no cap."
        ),
    )
    valid_from = models.DateField(
        _("valid from"), help_text=_("Events from this day on are counted by this rule.")
    )
    valid_to = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("The last day of events this rule counts; empty while it is in force."),
    )
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("e.g. the measure it comes from.")
    )

    class Meta:
        verbose_name = _("points rule")
        verbose_name_plural = _("points rules")
        ordering = ["region_id", "kind", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "kind", "valid_from"], name="point_rule_unique_start"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="point_rule_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} · {self.get_kind_display()} {self.points:+d}"

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("A rule cannot end before it starts.")})


class GradeBand(models.Model):
    """A grade of the year's total, e.g. 优秀 from 80, 合格 from 60, 不合格 below."""

    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="grade_bands",
        help_text=_(
            "The bands of the most specific region above a deputy's home region that has "
            "any are the deputy's scale."
        ),
    )
    label = models.CharField(_("grade"), max_length=20)
    min_score = models.IntegerField(
        _("from score"),
        null=True,
        blank=True,
        help_text=_("The lowest total of this grade; empty for the grade below all others."),
    )

    class Meta:
        verbose_name = _("grade band")
        verbose_name_plural = _("grade bands")
        ordering = ["region_id", models.F("min_score").desc(nulls_last=True)]
        constraints = [
            models.UniqueConstraint(fields=["region", "min_score"], name="grade_band_unique"),
            models.UniqueConstraint(
                fields=["region"],
                condition=models.Q(min_score__isnull=True),
                name="grade_band_one_lowest",
            ),
        ]

    def __str__(self) -> str:
        if self.min_score is None:
            return f"{self.label}"
        return f"{self.label} ≥ {self.min_score}"


def evidence_path(instance, filename: str) -> str:
    # A random name: the uploaded name can carry personal data.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"points/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{extension}"


class PointEntry(models.Model):
    """Points of one event for one deputy: automatic, or claimed and then verified."""

    class Status(models.TextChoices):
        AUTO = "auto", _("Automatic")
        CLAIMED = "claimed", _("Claimed, awaiting verification")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    # Entries in these statuses count towards the total.
    COUNTED = (Status.AUTO, Status.VERIFIED)

    deputy = models.ForeignKey(
        Deputy, verbose_name=_("deputy"), on_delete=models.CASCADE, related_name="point_entries"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=PointKind.choices)
    points = models.IntegerField(_("points"), default=0)
    occurred_on = models.DateField(_("date of the activity"))
    source_key = models.CharField(
        _("source"),
        max_length=120,
        unique=True,
        help_text=_("What the points are for, e.g. duty:42; each event counts once."),
    )
    rule = models.ForeignKey(
        PointRule,
        verbose_name=_("rule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.AUTO
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    evidence = models.FileField(_("evidence"), upload_to=evidence_path, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    region_path = "deputy__region"

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-occurred_on", "-pk"]
        indexes = [
            models.Index(fields=["deputy", "occurred_on"], name="point_entry_deputy_day_idx"),
            models.Index(fields=["status", "occurred_on"], name="point_entry_status_idx"),
        ]
        constraints = [
            # Claimed and rejected entries carry no points.
            models.CheckConstraint(
                condition=~models.Q(status__in=["claimed", "rejected"]) | models.Q(points=0),
                name="point_entry_pending_has_no_points",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deputy} · {self.get_kind_display()} {self.points:+d}"

    @property
    def is_counted(self) -> bool:
        return self.status in self.COUNTED
