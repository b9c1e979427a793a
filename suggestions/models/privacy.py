"""The logs personal-information law asks for (PIPL): every reveal of a constituent's
name or number, and every export or erasure of one person's data on their request.

Neither log holds the data itself: a reveal names the item and the field; a request
keeps the phone's keyed hash (``liaison.crypto.phone_index``), never the number.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from liaison.models import Region
from suggestions.models.base import Case

__all__ = ["PersonalDataAccess", "PersonalDataRequest"]


class PersonalDataAccess(models.Model):
    """Who unmasked which constituent's name or phone, on which item, and when."""

    class Field(models.TextChoices):
        PHONE = "phone", _("mobile")
        NAME = "name", _("name")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="data_accesses",
    )
    matter = models.ForeignKey(
        "suggestions.ReceptionMatter",
        verbose_name=_("reception matter"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="data_accesses",
    )
    # The item's region, so the log is scoped like the items whichever kind it names.
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    field = models.CharField(_("field"), max_length=30, choices=Field.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    region_path = "region"

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False) | models.Q(matter__isnull=False),
                name="personal_data_access_names_an_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.field}"


class PersonalDataRequest(models.Model):
    """One person's data exported or erased at their request, by whom, over which items.

    The person is recorded by the keyed hash of their number: the log proves what was
    done for whom without keeping the number it was asked to forget."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Export")
        ERASE = "erase", _("Erasure")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    # The jurisdiction it was done in (the user's region; empty for administrators).
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    phone_hmac = models.CharField(_("phone index"), max_length=64, db_index=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    suggestions = models.JSONField(_("opinions"), default=list, blank=True)
    matters = models.JSONField(_("reception matters"), default=list, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    region_path = "region"

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d}"
