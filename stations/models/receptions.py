"""The reception ledger (接待记录): which deputies received constituents at a station on
which day, and how many people came.

A deputy logs a reception on a phone, or the office types it from the station's paper
ledger. What the visitors raised — the matters — lives in the suggestions app
(``suggestions.ReceptionMatter``), which turns the matters passed on into constituent
suggestions. This app knows nothing of suggestions: the arrows point one way.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from stations.models.base import Deputy, ReceptionDay, Station

__all__ = ["RECEPTION_SUMMARY_MAX", "RECEPTION_VISITORS_MAX", "Reception"]

RECEPTION_SUMMARY_MAX = 2000
# A typo guard, not a policy: the largest collective receptions count a few hundred.
RECEPTION_VISITORS_MAX = 10_000


class Reception(models.Model):
    """One reception of constituents (接待选民) at a station on one day."""

    class Source(models.TextChoices):
        DEPUTY_PHONE = "deputy_phone", _("Logged by a deputy")
        PAPER_LEDGER = "paper_ledger", _("Typed from the paper ledger")

    station = models.ForeignKey(
        Station, verbose_name=_("station"), on_delete=models.PROTECT, related_name="receptions"
    )
    date = models.DateField(_("date"))
    reception_day = models.ForeignKey(
        ReceptionDay,
        verbose_name=_("reception day"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="receptions",
        help_text=_("The scheduled reception day, when the date is one."),
    )
    deputies = models.ManyToManyField(
        Deputy, verbose_name=_("deputies present"), related_name="receptions"
    )
    visitors = models.PositiveIntegerField(
        _("visitors"),
        validators=[MaxValueValidator(RECEPTION_VISITORS_MAX)],
        help_text=_("How many people came, whether or not they raised a matter."),
    )
    summary = models.TextField(
        _("summary"), blank=True, validators=[MaxLengthValidator(RECEPTION_SUMMARY_MAX)]
    )
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    submission_key = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Makes a retried form post one reception.",
    )

    region_path = "station__region"

    class Meta:
        verbose_name = _("reception")
        verbose_name_plural = _("receptions")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["station", "-date"], name="reception_station_date_idx")]

    def __str__(self) -> str:
        return f"{self.station} {self.date:%Y-%m-%d}"
