"""The 12345 government hotline, both ways (docs/hotline.md describes the protocol).

Inbound: the hotline posts a work order, signed with HMAC-SHA256 over
``"<timestamp>.<raw body>"``; :func:`request_authenticate` checks the key, the timestamp
window and the signature, :func:`work_order_receive` refuses replays, files the order as
a suggestion (channel "hotline") once per external id, and routes it like any other.

Outbound: each status change or reply on a hotline item's timeline becomes a
``CallbackDelivery`` in the same transaction (a ``post_save`` receiver on ``Event``),
and the outbox hands the order's deliveries to :func:`callbacks_deliver`, which POSTs
them in order, signed the same way. A failure waits with exponential backoff for the
beat sweep (:func:`callbacks_retry_due`); after ``LIAISON_HOTLINE_MAX_ATTEMPTS`` tries
the delivery is dead and waits on the admin's dead-letter list for "retry now".
"""

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison import regions
from liaison.outbox import outbox_enqueue
from suggestions import services
from suggestions.models import (
    Assignment,
    CallbackDelivery,
    Case,
    Category,
    Event,
    InboundNonce,
    Integration,
    Reply,
    Suggestion,
    WorkOrder,
)

logger = logging.getLogger(__name__)

KEY_HEADER = "X-Liaison-Key"
TIMESTAMP_HEADER = "X-Liaison-Timestamp"
SIGNATURE_HEADER = "X-Liaison-Signature"
DELIVERY_HEADER = "X-Liaison-Delivery"
# Requests whose timestamp is further than this from our clock are refused; signatures
# are remembered a little longer, so a replay is refused for as long as it could pass.
WINDOW = dt.timedelta(minutes=5)
NONCE_KEEP = WINDOW * 2 + dt.timedelta(minutes=1)
DELIVER_TASK = "suggestions.tasks.deliver_hotline_callbacks"


# --- Keys and signatures -------------------------------------------------------------------


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with the integration's secret."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(*, secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret=secret, timestamp=timestamp, body=body),
    }


@dataclass(frozen=True)
class Credentials:
    """What the admin shows once: the API key and the signing secret."""

    key: str
    secret: str


def credentials_new(integration: Integration) -> Credentials:
    """Fresh key and secret on an (unsaved) integration; the caller saves it."""
    prefix = secrets.token_hex(6)
    key = f"{prefix}.{secrets.token_urlsafe(32)}"
    secret = secrets.token_hex(32)
    integration.key_prefix, integration.key_hash, integration.secret = (
        prefix,
        _hash_key(key),
        secret,
    )
    return Credentials(key=key, secret=secret)


def integration_create(
    *,
    name: str,
    kind: str,
    region,
    callback_url: str = "",
    is_active: bool = True,
    user=None,
) -> tuple[Integration, Credentials]:
    """A new integration and its credentials; only the hash of the key is kept."""
    integration = Integration(
        name=name.strip(),
        kind=kind,
        region=region,
        callback_url=callback_url,
        is_active=is_active,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    credentials = credentials_new(integration)
    integration.full_clean()
    integration.save()
    return integration, credentials


def integration_regenerate(*, integration: Integration) -> Credentials:
    """New key and secret: the old ones stop working at once."""
    with transaction.atomic():
        integration = Integration.objects.select_for_update().get(pk=integration.pk)
        credentials = credentials_new(integration)
        integration.save(update_fields=["key_prefix", "key_hash", "secret"])
    return credentials


class SignatureRefused(Exception):
    """An inbound request that does not prove who sent it, or when."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


def integration_for_key(key: str, *, kind: str) -> Integration | None:
    """The active integration of ``kind`` the key belongs to, else None."""
    prefix, _dot, _rest = (key or "").partition(".")
    if not prefix or len(key) > 200:
        return None
    integration = Integration.objects.filter(key_prefix=prefix, kind=kind).first()
    if integration is None or not hmac.compare_digest(integration.key_hash, _hash_key(key)):
        return None
    return integration if integration.is_active else None


def request_authenticate(
    *, key: str, timestamp: str, signature: str, body: bytes, now: float | None = None
) -> Integration:
    """The hotline integration that signed this request, or SignatureRefused.

    Replays are refused later, in the transaction that stores the order
    (:func:`work_order_receive`), so two copies racing each other cannot both pass.
    """
    integration = integration_for_key(key, kind=Integration.Kind.HOTLINE)
    if integration is None:
        raise SignatureRefused(_("Unknown or inactive integration key."), "unknown_key")
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        raise SignatureRefused(
            _("The timestamp is missing or not a number."), "bad_timestamp"
        ) from None
    now = now if now is not None else time.time()
    if abs(now - sent) > WINDOW.total_seconds():
        raise SignatureRefused(
            _("The timestamp is more than 5 minutes away from our clock."), "stale_timestamp"
        )
    expected = sign(secret=integration.secret, timestamp=str(sent), body=body)
    if not hmac.compare_digest(expected, (signature or "").strip().lower()):
        raise SignatureRefused(_("The signature does not match."), "bad_signature")
    return integration


# --- Inbound work orders -------------------------------------------------------------------


class Replayed(Exception):
    pass


class OrderConflict(Exception):
    pass


def order_digest(data: dict) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _category(value: str) -> Category | None:
    value = (value or "").strip()
    if not value:
        return None
    return (
        Category.objects.filter(is_active=True)
        .filter(Q(code__iexact=value) | Q(name=value))
        .order_by("sort_order", "code")
        .first()
    )


def _place(integration: Integration, *, station_code: str, deputy_code: str):
    """Station and deputy an order names, if they lie in the integration's region."""
    from stations.models import Deputy, Station

    errors = {}
    station = deputy = None
    prefix = regions.prefix_of(integration.region_id)
    if station_code:
        station = (
            Station.objects.select_related("region")
            .filter(code=station_code.strip().upper(), region__code__startswith=prefix)
            .first()
        )
        if station is None:
            errors["station"] = [_("Unknown station.")]
    if deputy_code:
        deputy = (
            Deputy.objects.select_related("region", "user")
            .filter(code=deputy_code.strip().upper(), region__code__startswith=prefix)
            .first()
        )
        if deputy is None:
            errors["deputy"] = [_("Unknown deputy.")]
    if errors:
        raise ValidationError(errors)
    return station, deputy


def _located_content(content: str, *, address: str, lat, lon) -> str:
    where = [address] if address else []
    if lat is not None and lon is not None:
        where.append(f"({lat}, {lon})")
    if not where:
        return content
    return f"{content}\n\n{_('Location')}: {' '.join(where)}"


def work_order_receive(
    *, integration: Integration, data: dict, signature: str
) -> tuple[Suggestion, bool]:
    """File a hotline work order as a suggestion; ``(suggestion, created)``.

    ``data`` is the validated body (``hotline_api.WorkOrderSerializer``). The same
    external id again with the same content returns the first suggestion (created is
    False); with other content it raises OrderConflict and changes nothing. A signature
    seen before raises Replayed. Two copies of one order posted at once make one
    suggestion: the work order's unique constraint lets one insert win.
    """
    content_hash = order_digest(data)
    try:
        with transaction.atomic():
            return _receive(integration, data, signature, content_hash)
    except _LostRace:
        existing = (
            WorkOrder.objects.select_related("suggestion")
            .filter(integration=integration, external_id=data["external_id"])
            .first()
        )
        if existing is None:  # pragma: no cover - the winner's row is committed
            raise
        if existing.content_hash != content_hash:
            raise OrderConflict from None
        return existing.suggestion, False


class _LostRace(Exception):
    pass


def _receive(integration, data, signature, content_hash):
    try:
        with transaction.atomic():
            InboundNonce.objects.create(integration=integration, signature=signature)
    except IntegrityError:
        raise Replayed from None
    Integration.objects.filter(pk=integration.pk).update(last_used_at=timezone.now())
    existing = (
        WorkOrder.objects.select_related("suggestion")
        .filter(integration=integration, external_id=data["external_id"])
        .first()
    )
    if existing is not None:
        if existing.content_hash != content_hash:
            raise OrderConflict
        return existing.suggestion, False

    caller = data.get("caller") or {}
    location = data.get("location") or {}
    address = (location.get("address") or "").strip()
    lat, lon = location.get("lat"), location.get("lon")
    station, deputy = _place(
        integration,
        station_code=data.get("station") or "",
        deputy_code=data.get("deputy") or "",
    )
    category = _category(data.get("category") or "")
    phone = services.normalise_phone(caller.get("phone") or "")
    notes = []
    if data.get("category") and category is None:
        notes.append(
            _("The hotline's category “%(name)s” is not one of ours; choose one.")
            % {"name": data["category"]}
        )
    if phone and not is_mobile(phone):
        # A landline cannot get our SMS; the hotline keeps the caller's number.
        notes.append(_("The caller's number is not a mobile number; contact through 12345."))
        phone = ""
    content = data["content"].strip()
    title = (data.get("title") or "").strip() or content[:30]
    suggestion = services.suggestion_submit(
        channel=Suggestion.Channel.HOTLINE,
        category=category,
        title=title,
        content=_located_content(content, address=address, lat=lat, lon=lon),
        station=station,
        deputy=deputy,
        region=None if (station or deputy) else integration.region,
        name=(caller.get("name") or "").strip(),
        phone=phone,
        # The hotline talks to its caller and does the follow-up call (回访) itself.
        do_not_contact=True,
        # The hotline collected the caller's details under its own statutory duty.
        consent=True,
    )
    try:
        with transaction.atomic():
            WorkOrder.objects.create(
                integration=integration,
                external_id=data["external_id"],
                suggestion=suggestion,
                content_hash=content_hash,
                address=address,
                latitude=Decimal(str(lat)) if lat is not None else None,
                longitude=Decimal(str(lon)) if lon is not None else None,
                deadline=data.get("deadline"),
            )
    except IntegrityError:
        # Another copy of this order committed first: undo ours entirely.
        raise _LostRace from None
    note = _("12345 work order %(id)s from %(name)s.") % {
        "id": data["external_id"],
        "name": integration.name,
    }
    if data.get("deadline"):
        note += " " + _("Hotline deadline: %(date)s.") % {"date": data["deadline"]}
    Event.objects.create(
        case=suggestion, kind=Event.Kind.NOTE, is_public=False, note=" ".join([note, *notes])
    )
    return suggestion, True


def is_mobile(phone: str) -> bool:
    return len(phone) == 11 and phone.startswith("1") and phone[1] in "3456789"


# --- Outbound callbacks --------------------------------------------------------------------

# Timeline events the hotline hears about, with the step of its work-order loop
# (受理、调度、办理、回复、督办、办结、回访、评价) each one is.
STAGES = {
    Event.Kind.ROUTED: "dispatched",
    Event.Kind.ASSIGNED: "dispatched",
    Event.Kind.REASSIGNED: "dispatched",
    Event.Kind.RETURNED: "returned",
    Event.Kind.OVERDUE: "supervised",
    Event.Kind.REPLIED: "replied",
    Event.Kind.ANSWERED_ON_SPOT: "replied",
    Event.Kind.RATED: "evaluated",
    Event.Kind.REOPENED: "reopened",
    Event.Kind.CLOSED: "closed",
    Event.Kind.MERGED: "closed",
    Event.Kind.PROMOTED: "closed",
    Event.Kind.REJECTED: "closed",
}


def _hotline_order(case: Case) -> WorkOrder | None:
    """The hotline order behind a case, with as few queries as the case allows."""
    if case.kind != Case.Kind.CONSTITUENT:
        return None
    if isinstance(case, Suggestion) and case.channel != Suggestion.Channel.HOTLINE:
        return None
    if Case.suggestion.is_cached(case):  # the caller loaded the opinion already
        child = case.suggestion
        if child is None or child.channel != Suggestion.Channel.HOTLINE:
            return None
    return (
        WorkOrder.objects.select_related("integration")
        .filter(suggestion_id=case.pk, integration__kind=Integration.Kind.HOTLINE)
        .first()
    )


def callback_payload(order: WorkOrder, event: Event) -> dict:
    """What the hotline gets: the order's state as of this event, and the reply."""
    case = Case.objects.get(pk=order.suggestion_id)
    reply = (
        Reply.objects.filter(case_id=case.pk)
        .exclude(public_text="")
        .select_related("department")
        .order_by("-created_at", "-id")
        .first()
    )
    lead = (
        Assignment.objects.filter(case_id=case.pk, role=Assignment.Role.LEAD)
        .exclude(status=Assignment.Status.WITHDRAWN)
        .select_related("department")
        .order_by("-assigned_at", "-id")
        .first()
    )

    def stamp(value):
        return timezone.localtime(value).isoformat(timespec="seconds") if value else None

    return {
        "external_id": order.external_id,
        "tracking_code": Suggestion.objects.values_list("tracking_code", flat=True).get(pk=case.pk),
        "event_id": event.pk,
        "event": event.kind,
        "stage": STAGES.get(event.kind, "updated"),
        "text": event.public_text,
        "occurred_at": stamp(event.created_at),
        "status": case.status,
        "status_display": str(case.get_status_display()),
        "department": lead.department.name if lead else None,
        "due_date": case.due_date.isoformat() if case.due_date else None,
        "reply": reply.public_text if reply else None,
        "replied_at": stamp(reply.created_at) if reply else None,
        "satisfaction": case.satisfaction or None,
    }


@receiver(post_save, sender=Event, dispatch_uid="hotline-callback-on-event")
def _event_saved(sender, instance: Event, created: bool, raw: bool = False, **kwargs):
    if created and not raw and instance.kind in STAGES:
        callback_enqueue(event=instance)


def callback_enqueue(*, event: Event) -> CallbackDelivery | None:
    """Queue the hotline's callback for a timeline event, in the event's transaction."""
    order = _hotline_order(event.case)
    if order is None or not order.integration.is_active or not order.integration.callback_url:
        return None
    delivery = CallbackDelivery.objects.create(
        order=order,
        event=event,
        event_kind=event.kind,
        payload=callback_payload(order, event),
    )
    outbox_enqueue(task=DELIVER_TASK, kwargs={"order_id": order.pk})
    return delivery


class CallbackFailed(Exception):
    pass


def callback_post(*, url: str, secret: str, payload: dict, delivery_id: int) -> None:
    """POST one signed callback; raise CallbackFailed unless the hotline answers 2xx."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    request = urllib.request.Request(  # noqa: S310 (the URL is the office's setting)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            DELIVERY_HEADER: str(delivery_id),
            **signed_headers(secret=secret, body=body),
        },
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.LIAISON_HOTLINE_TIMEOUT
        ) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        raise CallbackFailed(f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise CallbackFailed(f"unreachable: {exc}") from exc


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … times LIAISON_HOTLINE_RETRY_SECONDS after the 1st, 2nd, 3rd … failure."""
    return dt.timedelta(seconds=settings.LIAISON_HOTLINE_RETRY_SECONDS * 2 ** (attempts - 1))


def callbacks_deliver(*, order_id: int, now: dt.datetime | None = None) -> int:
    """Send an order's due callbacks in order; returns how many were delivered.

    Stops at the first one that fails (it waits for its retry), is dead (it waits for
    "retry now") or is not yet due, so the hotline hears the order's story in order.
    Safe to run twice at once: the second run finds the order locked and leaves.
    """
    delivered = 0
    with transaction.atomic():
        # The lock is the "in order" and the "once": two workers never post the same
        # order's callbacks side by side.
        order = (
            WorkOrder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("integration")
            .filter(pk=order_id)
            .first()
        )
        if order is None:
            return 0
        integration = order.integration
        while True:
            delivery = (
                CallbackDelivery.objects.filter(order=order, delivered_at__isnull=True)
                .order_by("id")
                .first()
            )
            current = now or timezone.now()
            if delivery is None or delivery.dead_at or delivery.next_attempt_at > current:
                return delivered
            if not integration.is_active or not integration.callback_url:
                return delivered
            delivery.attempts += 1
            try:
                callback_post(
                    url=integration.callback_url,
                    secret=integration.secret,
                    payload=delivery.payload,
                    delivery_id=delivery.pk,
                )
            except CallbackFailed as exc:
                delivery.last_error = str(exc)[:2000]
                if delivery.attempts >= settings.LIAISON_HOTLINE_MAX_ATTEMPTS:
                    delivery.dead_at = current
                    logger.warning("hotline: callback %s given up: %s", delivery.pk, exc)
                else:
                    delivery.next_attempt_at = current + backoff(delivery.attempts)
                delivery.save(
                    update_fields=["attempts", "last_error", "dead_at", "next_attempt_at"]
                )
                return delivered
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
            delivery.save(update_fields=["attempts", "delivered_at", "last_error"])
            delivered += 1


def callbacks_retry_due(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """The beat sweep: queue every order with a callback due again; forget old nonces.

    Returns the number of orders queued. Each goes through the outbox, so a retry is
    as safe from a dead broker as the first try.
    """
    now = now or timezone.now()
    InboundNonce.objects.filter(created_at__lt=now - NONCE_KEEP).delete()
    due = (
        CallbackDelivery.objects.filter(
            delivered_at__isnull=True, dead_at__isnull=True, next_attempt_at__lte=now
        )
        .order_by()
        .values_list("order_id", flat=True)
        .distinct()[:batch]
    )
    orders = list(due)
    with transaction.atomic():
        for order_id in orders:
            outbox_enqueue(task=DELIVER_TASK, kwargs={"order_id": order_id})
    return len(orders)


def callbacks_retry_now(*, deliveries, user=None) -> int:
    """Staff send dead callbacks again: a fresh round of tries, starting now."""
    with transaction.atomic():
        dead = list(
            CallbackDelivery.objects.select_for_update()
            .filter(pk__in=[d.pk for d in deliveries], dead_at__isnull=False)
            .order_by("id")
        )
        now = timezone.now()
        for delivery in dead:
            delivery.dead_at = None
            delivery.attempts = 0
            delivery.next_attempt_at = now
            delivery.save(update_fields=["dead_at", "attempts", "next_attempt_at"])
            logger.info("hotline: callback %s sent again by %s", delivery.pk, user)
        for order_id in sorted({d.order_id for d in dead}):
            outbox_enqueue(task=DELIVER_TASK, kwargs={"order_id": order_id})
    return len(dead)
