"""What constituents raised at a reception (接待记录的事项), one row per matter.

A matter is answered on the spot (当场答复) and stays on the ledger, or it is passed on
and becomes a constituent suggestion through the same intake as the web form; the
suggestion is then the live record, and the matter only points to it.

Personal data is kept once: a passed-on matter's name and mobile go to its suggestion
(which masks, and later removes, them); only a matter answered on the spot keeps its
own, until ``suggestions.receptions.reception_personal_data_expire`` removes them.
"""

from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from liaison.crypto import (
    EncryptedCharField,
    PhoneIndexField,
    PhoneIndexQuerySet,
    index_update_fields,
    mask_name,
)
from suggestions.models.base import (
    CONTENT_MAX,
    Category,
    Suggestion,
    mask_phone,
    phone_validator,
    validate_not_markup,
)

__all__ = ["ReceptionMatter"]


class ReceptionMatter(models.Model):
    """One matter a visitor raised at a reception."""

    class Handling(models.TextChoices):
        ANSWERED_ON_SPOT = "answered_on_spot", _("Answered on the spot")
        PASSED_ON = "passed_on", _("Passed on for handling")

    reception = models.ForeignKey(
        "stations.Reception",
        verbose_name=_("reception"),
        on_delete=models.CASCADE,
        related_name="matters",
    )
    position = models.PositiveSmallIntegerField(_("no."))
    # Encrypted at rest (liaison.crypto); found by phone only through phone_hmac.
    name = EncryptedCharField(_("constituent's name"), max_length=50, blank=True)
    phone = EncryptedCharField(_("mobile"), max_length=11, blank=True, validators=[phone_validator])
    phone_hmac = PhoneIndexField(source="phone")
    content = models.TextField(
        _("what was raised"), validators=[MaxLengthValidator(CONTENT_MAX), validate_not_markup]
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.PROTECT,
        related_name="reception_matters",
    )
    handling = models.CharField(
        _("how it was handled"), max_length=20, choices=Handling.choices, default=Handling.PASSED_ON
    )
    answer = models.TextField(
        _("answer given on the spot"),
        blank=True,
        validators=[MaxLengthValidator(CONTENT_MAX), validate_not_markup],
    )
    suggestion = models.OneToOneField(
        Suggestion,
        verbose_name=_("suggestion"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="reception_matter",
        help_text=_("The constituent suggestion a passed-on matter became."),
    )

    objects = PhoneIndexQuerySet.as_manager()
    region_path = "reception__station__region"

    class Meta:
        verbose_name = _("reception matter")
        verbose_name_plural = _("reception matters")
        ordering = ["reception", "position"]
        indexes = [
            models.Index(fields=["phone_hmac"], name="matter_phone_hmac_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reception", "position"], name="reception_matter_unique_position"
            ),
            models.CheckConstraint(
                condition=~models.Q(handling="answered_on_spot") | ~models.Q(answer=""),
                name="reception_matter_on_spot_has_answer",
                violation_error_message=_("Write down the answer given on the spot."),
            ),
            models.CheckConstraint(
                condition=models.Q(handling="passed_on") | models.Q(suggestion__isnull=True),
                name="reception_matter_on_spot_no_suggestion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.content[:30]}"

    def save(self, *args, **kwargs):
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = index_update_fields(ReceptionMatter, kwargs["update_fields"])
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)
