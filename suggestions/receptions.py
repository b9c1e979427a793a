"""The reception ledger (接待记录): its services and selectors.

Deputies log a reception on their phones (``suggestions.views.receptions``) and the
office types paper ledgers in the admin (``suggestions.admin_receptions``); both go
through ``reception_log``. A matter answered on the spot stays on the ledger; a matter
passed on becomes a constituent suggestion through ``services.suggestion_submit`` — the
same intake, outbox and routing task as the web form, not a second copy of them.

The checks are plain functions (``reception_errors``, ``matter_errors``) so that the
admin's forms refuse exactly what the service refuses, before anything is written.
Errors about one matter are keyed ``matters-<index>-<field>``, the index counting the
matters passed in; errors about the list of matters as a whole are keyed ``matters``.
"""

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison import scoping
from liaison.models import User
from stations import points
from stations.models import (
    RECEPTION_SUMMARY_MAX,
    RECEPTION_VISITORS_MAX,
    Deputy,
    Placement,
    Reception,
    ReceptionDay,
    Station,
)
from suggestions import services
from suggestions.models import (
    CONTENT_MAX,
    PHONE_RE,
    Category,
    Event,
    ReceptionMatter,
    Suggestion,
    validate_not_markup,
)

MAX_MATTERS = 50
TITLE_LENGTH = 30
NAME_MAX = ReceptionMatter._meta.get_field("name").max_length
MATTER_FIELDS = ("name", "phone", "content", "category", "handling", "answer")

Handling = ReceptionMatter.Handling
Source = Reception.Source


def matter_key(index: int, field: str) -> str:
    """The error key of one matter's field, e.g. ``matters-2-content``."""
    return f"matters-{index}-{field}"


def _plain(value) -> str:
    # Browsers send a textarea's line breaks as CRLF: count them the way people see them.
    return str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def _markup_errors(value: str) -> list[str]:
    try:
        validate_not_markup(value)
    except ValidationError as exc:
        return list(exc.messages)
    return []


# --- Checks -----------------------------------------------------------------------------


def placed_deputy_ids(station: Station) -> set[int]:
    """The deputies actively placed at a station (就近编入)."""
    return set(
        Placement.objects.filter(station=station, is_active=True).values_list(
            "deputy_id", flat=True
        )
    )


def reception_errors(
    *,
    station: Station | None,
    date: dt.date | None,
    deputies: Iterable[Deputy],
    visitors,
    summary: str = "",
    source: str,
    recorded_by: User | None = None,
    new: bool = True,
) -> dict[str, list[str]]:
    """What is wrong with a reception's own fields; an empty dict when nothing is.

    ``new`` is false when a logged reception is corrected: its station and date are
    then fixed, and the station may have closed since.
    """
    errors: dict[str, list[str]] = {}
    deputies = list(deputies)
    placed = placed_deputy_ids(station) if station is not None else set()
    if station is None:
        errors["station"] = [_("Choose the station.")]
    elif new and not station.is_active:
        errors["station"] = [_("This station is closed.")]
    elif new and source == Source.DEPUTY_PHONE:
        deputy = getattr(recorded_by, "deputy", None)
        if deputy is None or deputy.pk not in placed:
            errors["station"] = [_("You are not placed at this station.")]
    elif (
        new
        and source == Source.PAPER_LEDGER
        and not scoping.in_scope(recorded_by, station.region_id)
    ):
        errors["station"] = [_("This station is outside your jurisdiction.")]
    if source not in Source.values:
        errors["source"] = [_("Unknown source.")]
    if date is None:
        errors["date"] = [_("Enter the date of the reception.")]
    elif new and date > timezone.localdate():
        errors["date"] = [_("The date cannot be in the future.")]
    if not deputies:
        errors["deputies"] = [_("Tick the deputies who were present.")]
    elif station is not None and not {deputy.pk for deputy in deputies} & placed:
        errors["deputies"] = [_("At least one of the deputies must be placed at this station.")]
    if visitors is None or visitors == "":
        errors["visitors"] = [_("Enter the number of visitors.")]
    elif (
        not isinstance(visitors, int)
        or isinstance(visitors, bool)
        or not 0 <= visitors <= RECEPTION_VISITORS_MAX
    ):
        errors["visitors"] = [_("Enter a number of visitors from 0 to 10,000.")]
    summary = _plain(summary)
    if len(summary) > RECEPTION_SUMMARY_MAX:
        errors["summary"] = [_("The summary is longer than 2,000 characters.")]
    elif markup := _markup_errors(summary):
        errors["summary"] = markup
    return errors


def matter_normalise(data: Mapping) -> dict:
    """One matter as the service takes it: trimmed text, the phone as 11 digits, and
    "passed on" when no handling was chosen."""
    typed_phone = str(data.get("phone") or "").strip()
    return {
        "name": " ".join(str(data.get("name") or "").split()),
        # Something typed without a digit in it stays as typed, so it is refused as a
        # number instead of quietly becoming "no number".
        "phone": services.normalise_phone(typed_phone) or typed_phone,
        "content": _plain(data.get("content")),
        "category": data.get("category"),
        "handling": data.get("handling") or Handling.PASSED_ON,
        "answer": _plain(data.get("answer")),
    }


def matter_is_blank(data: Mapping) -> bool:
    """A row of the form nobody filled in (the handling choice has a default)."""
    return not any(data.get(field) for field in MATTER_FIELDS if field != "handling")


def matter_errors(data: Mapping) -> dict[str, list[str]]:
    """What is wrong with one normalised matter; an empty dict when nothing is."""
    errors: dict[str, list[str]] = {}
    content, answer, name, phone = data["content"], data["answer"], data["name"], data["phone"]
    if not content:
        errors["content"] = [_("Write down what was raised.")]
    elif len(content) > CONTENT_MAX:
        errors["content"] = [_("The text is longer than 2,000 characters.")]
    elif markup := _markup_errors(content):
        errors["content"] = markup
    category = data["category"]
    if not isinstance(category, Category) or not category.is_active:
        errors["category"] = [_("Choose a category.")]
    if data["handling"] not in Handling.values:
        errors["handling"] = [_("Choose how it was handled.")]
    elif data["handling"] == Handling.ANSWERED_ON_SPOT and not answer:
        errors["answer"] = [_("Write down the answer given on the spot.")]
    if len(answer) > CONTENT_MAX:
        errors["answer"] = [_("The text is longer than 2,000 characters.")]
    elif markup := _markup_errors(answer):
        errors["answer"] = markup
    if len(name) > NAME_MAX:
        errors["name"] = [_("Keep the name under 50 characters.")]
    elif markup := _markup_errors(name):
        errors["name"] = markup
    if phone and not re.fullmatch(PHONE_RE, phone):
        errors["phone"] = [_("Enter a mainland mobile number: 11 digits starting with 1.")]
    return errors


def matters_count_errors(count: int) -> list[str]:
    if count < 1:
        return [_("Record at least one matter raised at the reception.")]
    if count > MAX_MATTERS:
        return [_("Record at most 50 matters at a time.")]
    return []


# --- Writing ------------------------------------------------------------------------------


def reception_log(
    *,
    station: Station,
    date: dt.date,
    deputies: Iterable[Deputy],
    visitors: int,
    matters: Sequence[Mapping],
    recorded_by: User,
    source: str,
    summary: str = "",
    submission_key: str | None = None,
) -> Reception:
    """Write a reception and its matters, and hand each passed-on matter to the intake.

    ``matters`` are dicts with ``content``, ``category``, ``handling``
    (``answered_on_spot`` or ``passed_on``), ``answer`` (required on the spot), and the
    constituent's optional ``name`` and ``phone``. Everything is written in one
    transaction, so a refused matter stores nothing at all.

    A passed-on matter becomes a suggestion of the "reception" channel through
    ``services.suggestion_submit``: the same receipt SMS, outbox row and routing task
    as a web submission. It is submitted with consent, because the deputy reads the
    personal information notice to the visitor before writing down a name or number;
    without a number the visitor is not contacted.

    ``submission_key`` makes a retried post (a double tap, a resent form) return the
    reception the first one wrote.
    """
    if submission_key:
        existing = Reception.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing

    deputies = list(dict.fromkeys(deputies))
    cleaned = [matter_normalise(matter) for matter in matters]
    errors = reception_errors(
        station=station,
        date=date,
        deputies=deputies,
        visitors=visitors,
        summary=summary,
        source=source,
        recorded_by=recorded_by,
    )
    if count_errors := matters_count_errors(len(cleaned)):
        errors["matters"] = count_errors
    else:
        for index, matter in enumerate(cleaned):
            for field, messages in matter_errors(matter).items():
                errors[matter_key(index, field)] = messages
    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            reception = Reception.objects.create(
                station=station,
                date=date,
                reception_day=ReceptionDay.objects.filter(
                    station=station, date=date, is_cancelled=False
                ).first(),
                visitors=visitors,
                summary=_plain(summary),
                source=source,
                recorded_by=recorded_by,
                submission_key=submission_key or None,
            )
            reception.deputies.set(deputies)
            for index, matter in enumerate(cleaned):
                _matter_create(reception, index, matter, deputies=deputies, actor=recorded_by)
            # Each deputy present earns the reception's performance points, once.
            for deputy in deputies:
                points.points_award(
                    deputy=deputy,
                    kind="reception_logged",
                    occurred_on=date,
                    source_key=f"reception:{reception.pk}:{deputy.pk}",
                    description=station.name,
                )
    except IntegrityError:
        # Two posts with one key raced; the other one wrote the reception.
        if submission_key:
            existing = Reception.objects.filter(submission_key=submission_key).first()
            if existing is not None:
                return existing
        raise
    return reception


def _intake_error_key(index: int, field: str) -> str:
    if field == "station":
        return field
    # The title is made from the content; the rest are the matter's own fields.
    return matter_key(index, "content" if field == "title" else field)


def _matter_create(
    reception: Reception, index: int, data: dict, *, deputies: list[Deputy], actor: User
) -> ReceptionMatter:
    on_spot = data["handling"] == Handling.ANSWERED_ON_SPOT
    matter = ReceptionMatter.objects.create(
        reception=reception,
        position=index + 1,
        category=data["category"],
        content=data["content"],
        handling=data["handling"],
        answer=data["answer"] if on_spot else "",
        # A passed-on matter's name and number are kept once, on its suggestion.
        name=data["name"] if on_spot else "",
        phone=data["phone"] if on_spot else "",
    )
    if on_spot:
        return matter
    try:
        suggestion = services.suggestion_submit(
            channel=Suggestion.Channel.RECEPTION,
            station=reception.station,
            category=data["category"],
            title=" ".join(data["content"].split())[:TITLE_LENGTH],
            content=data["content"],
            name=data["name"],
            phone=data["phone"],
            consent=True,
            do_not_contact=not data["phone"],
            submission_key=f"reception-matter:{matter.pk}",
            actor=actor,
        )
    except ValidationError as exc:
        # Refused by the intake after all (a category closed meanwhile): the whole
        # reception rolls back, and the error names the matter.
        raise ValidationError(
            {
                _intake_error_key(index, field): messages
                for field, messages in exc.message_dict.items()
            }
        ) from exc
    matter.suggestion = suggestion
    matter.save(update_fields=["suggestion"])
    services._event(
        suggestion,
        Event.Kind.NOTE,
        actor=actor,
        public=False,
        note=_("Raised at the reception of %(station)s on %(date)s; deputies present: %(names)s.")
        % {
            "station": reception.station.name,
            "date": f"{reception.date:%Y-%m-%d}",
            "names": "、".join(deputy.name for deputy in deputies),
        },
        reception=reception.pk,
    )
    return matter


def reception_correct(
    *,
    reception: Reception,
    deputies: Iterable[Deputy],
    visitors: int,
    summary: str,
    user: User,
) -> Reception:
    """The office corrects who was present, the count or the summary of a logged
    reception. Its station, date and matters stay as logged: the suggestions made from
    the matters carry them, and the suggestions are the live records."""
    deputies = list(dict.fromkeys(deputies))
    errors = reception_errors(
        station=reception.station,
        date=reception.date,
        deputies=deputies,
        visitors=visitors,
        summary=summary,
        source=reception.source,
        recorded_by=user,
        new=False,
    )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        reception.visitors = visitors
        reception.summary = _plain(summary)
        reception.save(update_fields=["visitors", "summary"])
        before = set(reception.deputies.values_list("pk", flat=True))
        reception.deputies.set(deputies)
        # The points follow the corrected list: one entry per deputy present, once.
        for deputy_id in before - {deputy.pk for deputy in deputies}:
            points.points_revoke(source_key=f"reception:{reception.pk}:{deputy_id}")
        for deputy in deputies:
            if deputy.pk not in before:
                points.points_award(
                    deputy=deputy,
                    kind="reception_logged",
                    occurred_on=reception.date,
                    source_key=f"reception:{reception.pk}:{deputy.pk}",
                    description=reception.station.name,
                )
    return reception


def reception_personal_data_expire(*, today: dt.date | None = None) -> int:
    """Remove the names and numbers of matters answered on the spot, kept for the stated
    period (LIAISON_PERSONAL_DATA_DAYS) after the reception, as suggestions' are after
    they close. Passed-on matters keep none: their suggestions hold them."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=settings.LIAISON_PERSONAL_DATA_DAYS)
    return (
        ReceptionMatter.objects.filter(reception__date__lt=cutoff)
        .exclude(name="", phone="")
        .update(name="", phone="")
    )


# --- Reading ------------------------------------------------------------------------------


def deputy_stations(deputy: Deputy) -> QuerySet[Station]:
    """The open stations a deputy is placed at: where they may log receptions."""
    return Station.objects.filter(
        is_active=True, placements__deputy=deputy, placements__is_active=True
    ).order_by("name", "pk")


def placed_deputies(stations: Iterable[Station]) -> dict[int, list[Deputy]]:
    """Station id → the deputies actively placed there, by name."""
    by_station: dict[int, list[Deputy]] = {}
    placements = (
        Placement.objects.filter(station__in=list(stations), is_active=True)
        .select_related("deputy")
        .order_by("deputy__name", "deputy__code")
    )
    for placement in placements:
        by_station.setdefault(placement.station_id, []).append(placement.deputy)
    return by_station


def receptions_for_deputy(*, user: User) -> QuerySet[Reception]:
    """Receptions the user's deputy took part in or the user recorded; none otherwise.

    A membership test on the through table instead of a join, so no row is repeated and
    no DISTINCT is needed.
    """
    deputy = getattr(user, "deputy", None)
    if deputy is None:
        return Reception.objects.none()
    present = Reception.deputies.through.objects.filter(deputy=deputy).values("reception_id")
    return Reception.objects.filter(Q(pk__in=present) | Q(recorded_by=user))


def _ordered_deputies() -> Prefetch:
    return Prefetch("deputies", queryset=Deputy.objects.order_by("name", "code"))


def reception_rows(*, user: User) -> QuerySet[Reception]:
    """A deputy's reception list, newest first: three queries for a page, whatever the
    number of deputies and matters."""
    return (
        receptions_for_deputy(user=user)
        .select_related("station")
        .prefetch_related(_ordered_deputies())
        .annotate(
            matter_count=Count("matters"),
            passed_on_count=Count("matters", filter=Q(matters__handling=Handling.PASSED_ON)),
        )
        .order_by("-date", "-id")
    )


def reception_for_deputy(*, user: User, pk: int) -> Reception | None:
    """One reception with its matters and their suggestions, if the user may see it."""
    return (
        receptions_for_deputy(user=user)
        .select_related("station", "station__region", "reception_day", "recorded_by")
        .prefetch_related(
            _ordered_deputies(),
            Prefetch(
                "matters",
                queryset=ReceptionMatter.objects.select_related("category", "suggestion").order_by(
                    "position"
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )
