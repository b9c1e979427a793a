"""Outside systems that file and follow items: the 12345 government hotline and Open311
(GeoReport v2) clients.

An ``Integration`` is one such system with its own API key (shown once, stored as a
hash, looked up by its prefix) and, for the hotline, the HMAC secret both sides sign
with and the callback URL our status changes go back to. A ``WorkOrder`` ties an item
to the outside system's id; ``CallbackDelivery`` is one status change on its way back,
with its retries and, after the last one, its place on the dead-letter list.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.models import Region
from suggestions.models.base import Suggestion

__all__ = ["CallbackDelivery", "InboundNonce", "Integration", "WorkOrder"]


class Integration(models.Model):
    """An outside system allowed to file items into one region's subtree."""

    class Kind(models.TextChoices):
        HOTLINE = "hotline", _("12345 hotline")
        OPEN311 = "open311", _("Open311 client")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="integrations",
        help_text=_("Items it files without a station or deputy go to this region."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The key is "<prefix>.<secret part>": the prefix finds the row with an index, the
    # SHA-256 of the whole key proves it. A key has 256 random bits, so a fast hash is
    # enough (nothing to brute-force, unlike a password).
    key_prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    # Kept as is: we sign callbacks with it and check the hotline's signatures.
    secret = models.CharField(max_length=64, editable=False)
    callback_url = models.URLField(
        _("callback URL"),
        blank=True,
        help_text=_("Where status changes and replies are sent (12345 hotline only)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["region_id", "name"]

    def __str__(self) -> str:
        return self.name


class InboundNonce(models.Model):
    """A signature already accepted: the same signed request twice is a replay.

    Kept a little longer than the timestamp window (older requests are refused by their
    timestamp anyway), then deleted by the callback sweep.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "signature"], name="inbound_nonce_once"),
        ]

    def __str__(self) -> str:
        return self.signature[:12]


class WorkOrder(models.Model):
    """An item an outside system filed: a 12345 work order (工单) or an Open311 request."""

    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        on_delete=models.PROTECT,
        related_name="orders",
    )
    external_id = models.CharField(_("external id"), max_length=64, blank=True)
    suggestion = models.OneToOneField(
        Suggestion,
        verbose_name=_("suggestion"),
        on_delete=models.CASCADE,
        related_name="work_order",
    )
    # SHA-256 of the order as received: a repeat with the same id and other content is
    # a conflict, not a silent overwrite.
    content_hash = models.CharField(max_length=64, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    deadline = models.DateField(_("hotline deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    region_path = "suggestion__region"

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at"]
        constraints = [
            # The idempotency of inbound orders: one item per (integration, external id),
            # however many times or however concurrently the hotline posts it.
            models.UniqueConstraint(
                fields=["integration", "external_id"],
                condition=~models.Q(external_id=""),
                name="work_order_once",
            ),
        ]

    def __str__(self) -> str:
        return self.external_id or str(self.suggestion_id)


class CallbackDelivery(models.Model):
    """One status change or reply on its way back to the hotline, retried with backoff.

    Deliveries of one order go out in id order: a later one waits while an earlier one
    is pending or dead, so the hotline never sees "closed" before "replied".
    """

    order = models.ForeignKey(
        WorkOrder, verbose_name=_("work order"), on_delete=models.CASCADE, related_name="callbacks"
    )
    event = models.OneToOneField(
        "suggestions.Event",
        verbose_name=_("timeline event"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    event_kind = models.CharField(_("event"), max_length=20)
    payload = models.JSONField(_("payload"), default=dict)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    dead_at = models.DateTimeField(_("given up"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    region_path = "order__suggestion__region"

    class Meta:
        verbose_name = _("hotline callback")
        verbose_name_plural = _("hotline callbacks")
        ordering = ["-id"]
        indexes = [
            # The retry sweep reads only what is still on its way.
            models.Index(
                fields=["next_attempt_at"],
                name="callback_pending_idx",
                condition=models.Q(delivered_at__isnull=True, dead_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.event_kind}"

    @property
    def is_dead(self) -> bool:
        return self.dead_at is not None
