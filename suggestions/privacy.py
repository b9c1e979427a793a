"""Constituents' personal data (PIPL): shown in full only by a logged reveal, kept for
the stated period and then removed, and exported or erased for one person on request.

Names and phones are encrypted at rest and masked on every page (``liaison.crypto``);
this module is every write that touches them after intake:

- ``personal_data_reveal``: the full name or number of one item for office staff, with
  a row in the reveal log (who, when, which item, which field, why);
- ``personal_data_expire``: the nightly job that removes names, numbers and photos
  ``LIAISON_PERSONAL_DATA_DAYS`` after an item closed, a batch at a time, in a number of
  queries per batch that does not grow with the batch;
- ``personal_data_export`` / ``personal_data_erase``: everything one person (found by
  the keyed hash of their number) has in the user's jurisdiction, as JSON, or removed;
  each logged by that hash, never by the number.

The items themselves (what was raised, the replies, the timeline) stay: they are the
office's ledger and its statistics, and say nothing about who raised them.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet, Value
from django.db.models.functions import Concat, Left, Right
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison import scoping
from liaison.crypto import normalise_phone, phone_index
from liaison.models import Notification, User
from suggestions.models import (
    Case,
    Event,
    PersonalDataAccess,
    PersonalDataRequest,
    Photo,
    ReceptionMatter,
    Reply,
    Suggestion,
)

BATCH = 500
MANAGE_PERMISSION = "suggestions.manage_personal_data"


# --- Reveal ---------------------------------------------------------------------------


def personal_data_reveal(
    *,
    user: User,
    field: str,
    suggestion: Suggestion | None = None,
    matter: ReceptionMatter | None = None,
    reason: str = "",
) -> str:
    """The full ``field`` ("name" or "phone") of one item, logged; "" (and no log row)
    when the item holds none. The caller has loaded the item through the user's scope."""
    if field not in PersonalDataAccess.Field.values:
        raise ValueError(field)
    if (suggestion is None) == (matter is None):
        raise ValueError("Reveal one item: a suggestion or a reception matter.")
    item = suggestion or matter
    value = getattr(item, field)
    if not value:
        return ""
    region_id = suggestion.region_id if suggestion else matter.reception.station.region_id
    PersonalDataAccess.objects.create(
        user=user,
        case=suggestion,
        matter=matter,
        region_id=region_id,
        field=field,
        reason=(reason or "")[:200],
    )
    return value


# --- Removing --------------------------------------------------------------------------


def _anonymise_suggestions(ids: list[int], *, now: dt.datetime) -> None:
    """Remove names, numbers and photos of these items and mask the messages sent to
    them: four queries whatever the number of items (plus one if they had photos)."""
    photos = list(Photo.objects.filter(suggestion_id__in=ids).only("pk", "image"))
    if photos:
        Photo.objects.filter(pk__in=[photo.pk for photo in photos]).delete()
        files = [(photo.image.storage, photo.image.name) for photo in photos if photo.image]
        # The files go once the rows are gone for good: a rollback keeps both.
        transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
    # update() clears the phone index with the phone (PhoneIndexQuerySet).
    Suggestion.objects.filter(pk__in=ids).update(name="", phone="", anonymised_at=now)
    # The SMS sent to the constituent held the number (and the body the tracking code):
    # the number is masked in SQL from itself, so one statement serves the whole batch.
    keys = "|".join(str(pk) for pk in ids)
    Notification.objects.filter(
        channel=Notification.Channel.SMS,
        recipient__isnull=True,
        dedupe_key__regex=rf"^case:({keys}):",
    ).update(
        address=Concat(Left("address", 3), Value("****"), Right("address", 4)),
        body="",
    )


def personal_data_expire(*, now: dt.datetime | None = None, batch_size: int = BATCH) -> int:
    """Remove names, phones and photos kept past the stated period after closing.

    The form tells constituents how long their details are kept
    (LIAISON_PERSONAL_DATA_DAYS after the item ends). Idempotent: an anonymised item is
    never picked again. Each batch is its own transaction, so a night's backlog does not
    hold a million rows locked."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.LIAISON_PERSONAL_DATA_DAYS)
    expired = (
        Suggestion.objects.filter(closed_at__lt=cutoff, anonymised_at__isnull=True)
        .exclude(status__in=Case.OPEN_STATUSES)
        .order_by()
    )
    count = 0
    while ids := list(expired.values_list("pk", flat=True)[:batch_size]):
        with transaction.atomic():
            _anonymise_suggestions(ids, now=now)
        count += len(ids)
    return count


# --- One person's data, on request ------------------------------------------------------


def can_manage_personal_data(user) -> bool:
    return bool(user and user.has_perm(MANAGE_PERMISSION))


def person_items(*, phone: str, user: User) -> tuple[QuerySet, QuerySet]:
    """The opinions and reception matters of the person with this number that lie in
    the user's jurisdiction, found by the phone index."""
    key = phone_index(phone)
    if not key:
        return Suggestion.objects.none(), ReceptionMatter.objects.none()
    suggestions = scoping.scope(Suggestion.objects.filter(phone_hmac=key), user)
    matters = scoping.scope(ReceptionMatter.objects.filter(phone_hmac=key), user)
    return (
        suggestions.select_related("category", "region", "station").order_by("received_at", "pk"),
        matters.select_related("reception__station", "category").order_by("reception__date", "pk"),
    )


def _require(user: User) -> None:
    if not can_manage_personal_data(user):
        raise PermissionDenied


def _log(*, kind: str, user: User, phone: str, reason: str, suggestions, matters):
    return PersonalDataRequest.objects.create(
        kind=kind,
        user=user,
        region_id=None if scoping.sees_everything(user) else user.region_id,
        phone_hmac=phone_index(phone),
        reason=(reason or "")[:200],
        suggestions=list(suggestions),
        matters=list(matters),
    )


def _stamp(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def personal_data_export(*, phone: str, user: User, reason: str = "") -> dict:
    """Everything the person with this number gave us in the user's jurisdiction, in
    full (it is their own data, for them), with the public replies; logged."""
    _require(user)
    suggestions, matters = person_items(phone=phone, user=user)
    suggestions = list(
        suggestions.prefetch_related(
            Prefetch(
                "replies",
                queryset=Reply.objects.exclude(public_text="").order_by("created_at", "pk"),
            )
        )
    )
    matters = list(matters)
    _log(
        kind=PersonalDataRequest.Kind.EXPORT,
        user=user,
        phone=phone,
        reason=reason,
        suggestions=[item.pk for item in suggestions],
        matters=[item.pk for item in matters],
    )
    return {
        "phone": normalise_phone(phone),
        "exported_at": _stamp(timezone.now()),
        "exported_by": user.get_username(),
        "opinions": [
            {
                "tracking_code": s.tracking_code,
                "received_at": _stamp(s.received_at),
                "channel": str(s.get_channel_display()),
                "station": s.station.name if s.station_id else None,
                "region": s.region.name,
                "category": s.category.name if s.category_id else None,
                "title": s.title,
                "content": s.content,
                "name": s.name,
                "phone": s.phone,
                "do_not_contact": s.do_not_contact,
                "consent_at": _stamp(s.consent_at),
                "consent_version": s.consent_version,
                "status": str(s.get_status_display()),
                "replies": [
                    {"text": r.public_text, "replied_at": _stamp(r.created_at)}
                    for r in s.replies.all()
                ],
            }
            for s in suggestions
        ],
        "reception_matters": [
            {
                "date": m.reception.date.isoformat(),
                "station": m.reception.station.name,
                "category": m.category.name,
                "content": m.content,
                "answer": m.answer,
                "name": m.name,
                "phone": m.phone,
            }
            for m in matters
        ],
    }


def personal_data_erase(*, phone: str, user: User, reason: str = "") -> dict[str, int]:
    """Remove the name, number and photos of every item of the person with this number
    in the user's jurisdiction, open ones too (they can no longer be tracked by the
    number); the items stay. Logged by the number's hash and the items' ids."""
    _require(user)
    now = timezone.now()
    with transaction.atomic():
        found, found_matters = person_items(phone=phone, user=user)
        ids = list(found.values_list("pk", flat=True))
        matters = list(found_matters.values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            _anonymise_suggestions(ids[start : start + BATCH], now=now)
        Event.objects.bulk_create(
            Event(
                case_id=pk,
                kind=Event.Kind.NOTE,
                actor=user,
                is_public=False,
                note=_("Personal data erased at the person's request."),
                created_at=now,
            )
            for pk in ids
        )
        ReceptionMatter.objects.filter(pk__in=matters).update(name="", phone="")
        _log(
            kind=PersonalDataRequest.Kind.ERASE,
            user=user,
            phone=phone,
            reason=reason,
            suggestions=ids,
            matters=matters,
        )
    return {"suggestions": len(ids), "matters": len(matters)}
