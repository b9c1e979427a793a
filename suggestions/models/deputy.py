"""Formal deputy suggestions (代表建议): drafted by a deputy with co-signers, reviewed and
numbered by the office, then handled by the same machinery as constituent opinions.

Deadlines are calendar months from assignment — 3, or 6 for wide-ranging or hard
ones (Deputies Law art. 51) — and each signing deputy gets a reply and rates it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from suggestions.models.base import Case

__all__ = ["CoSigner", "DeputySuggestion", "ResultClass"]


class ResultClass(models.Model):
    """How a deputy suggestion was resolved; the set varies by place, so it is data.

    The common set is A 已解决或采纳, B 列入计划逐步解决, C 留作参考. A class marked for
    review brings the item back for a later look (回头看), as B-class items are.
    """

    code = models.CharField(_("code"), max_length=5, unique=True)
    name = models.CharField(_("name"), max_length=50)
    needs_review = models.BooleanField(
        _("review later"), default=False, help_text=_("回头看: remind the office to check.")
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=10)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("result class")
        verbose_name_plural = _("result classes")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DeputySuggestion(Case):
    """A deputy's formal suggestion, criticism or opinion (代表建议、批评和意见)."""

    class Timing(models.TextChoices):
        SESSION = "session", _("During a session")
        INTERIM = "interim", _("Between sessions")

    congress = models.ForeignKey(
        "stations.Congress",
        verbose_name=_("congress"),
        on_delete=models.PROTECT,
        related_name="deputy_suggestions",
    )
    author = models.ForeignKey(
        "stations.Deputy",
        verbose_name=_("lead deputy"),
        on_delete=models.PROTECT,
        related_name="authored_suggestions",
    )
    timing = models.CharField(
        _("submitted"), max_length=10, choices=Timing.choices, default=Timing.INTERIM
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True, editable=False)
    number = models.CharField(_("number"), max_length=20, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    office_note = models.TextField(
        _("office's reason"), blank=True, help_text=_("Why it was returned, e.g. not specific.")
    )
    wide_ranging = models.BooleanField(
        _("wide-ranging or hard (6 months)"), default=False, editable=False
    )
    wide_ranging_reason = models.CharField(
        _("reason for 6 months"), max_length=200, blank=True, editable=False
    )
    priority = models.BooleanField(_("priority supervision (重点督办)"), default=False)
    supervising_leader = models.CharField(_("supervising leader"), max_length=50, blank=True)
    result_class = models.ForeignKey(
        ResultClass,
        verbose_name=_("result class"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suggestions",
    )
    review_due = models.DateField(_("review (回头看) due"), null=True, blank=True)
    source_cases = models.ManyToManyField(
        Case,
        verbose_name=_("from constituent opinions"),
        related_name="promoted_to",
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("deputy suggestion")
        verbose_name_plural = _("deputy suggestions")
        constraints = [
            models.UniqueConstraint(
                fields=["congress", "year", "number"],
                condition=~models.Q(number=""),
                name="deputy_suggestion_unique_number",
            ),
        ]

    def save(self, *args, **kwargs):
        self.kind = Case.Kind.DEPUTY
        super().save(*args, **kwargs)


class CoSigner(models.Model):
    """A deputy invited to sign a suggestion (附议/联名); counts once confirmed."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")

    suggestion = models.ForeignKey(
        DeputySuggestion,
        verbose_name=_("deputy suggestion"),
        on_delete=models.CASCADE,
        related_name="cosigners",
    )
    deputy = models.ForeignKey(
        "stations.Deputy",
        verbose_name=_("deputy"),
        on_delete=models.PROTECT,
        related_name="cosigned",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.INVITED
    )
    invited_at = models.DateTimeField(_("invited"), auto_now_add=True)
    responded_at = models.DateTimeField(_("responded"), null=True, blank=True)

    region_path = "suggestion__region"

    class Meta:
        verbose_name = _("co-signer")
        verbose_name_plural = _("co-signers")
        constraints = [
            models.UniqueConstraint(fields=["suggestion", "deputy"], name="cosigner_once"),
        ]

    def __str__(self) -> str:
        return str(self.deputy)
