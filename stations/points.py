"""Performance points (履职积分): the services other apps call, and the selectors of the
deputy's card, the annual report (述职) and the office's ranking.

Other apps award points with ``points_award``; it is idempotent by ``source_key``,
so an event counts once whatever the retries, and it is safe to call inside the
caller's transaction. The period is the calendar year.
"""

import dataclasses
import datetime as dt
import io
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liaison import regions, scoping
from liaison.images import image_clean
from liaison.models import Notification
from liaison.notifications import notification_create, office_users_for
from liaison.rules import is_office
from stations.models import Deputy, Duty, Membership, Placement
from stations.models.points import GradeBand, PointEntry, PointKind, PointRule
from stations.selectors import LEVEL_ORDER

COUNTED = PointEntry.COUNTED
Status = PointEntry.Status

# --- Rules and caps ---------------------------------------------------------------------


def rule_for(*, region_code: str, kind: str, on: dt.date) -> PointRule | None:
    """The rule in force on ``on`` for a deputy of ``region_code``: the most specific
    region of the chain that has one, and there the latest start."""
    chain = regions.ancestors_of(region_code)
    candidates = PointRule.objects.filter(
        region_id__in=chain, kind=kind, valid_from__lte=on
    ).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    return min(
        candidates,
        key=lambda rule: (chain.index(rule.region_id), -rule.valid_from.toordinal()),
        default=None,
    )


def _lock_deputy(deputy_id: int) -> str:
    """Lock the deputy's row for the rest of the transaction and return their region.

    Awards to one deputy run one at a time, so two events at once cannot both fit
    under a yearly cap that only one of them fits under.
    """
    return Deputy.objects.select_for_update().values_list("region_id", flat=True).get(pk=deputy_id)


def _within_cap(
    points: int,
    *,
    cap: int | None,
    deputy_id: int,
    kind: str,
    year: int,
    exclude_pk: int | None = None,
) -> int:
    """``points`` reduced so that this year's points of ``kind`` stay within ``cap``
    (in absolute value, so a cap on a deduction limits how much is taken off)."""
    if cap is None or points == 0:
        return points
    used = (
        PointEntry.objects.filter(
            deputy_id=deputy_id, kind=kind, occurred_on__year=year, status__in=COUNTED
        )
        .exclude(pk=exclude_pk)
        .aggregate(total=Sum("points"))["total"]
        or 0
    )
    room = max(0, cap - abs(used))
    return min(abs(points), room) * (1 if points > 0 else -1)


def _check_kind(kind: str) -> None:
    if kind not in PointKind.values:
        raise ValueError(f"unknown points kind: {kind!r}")


# --- Awards -----------------------------------------------------------------------------


def points_award(
    *,
    deputy: Deputy,
    kind: str,
    occurred_on: dt.date,
    source_key: str,
    description: str = "",
) -> PointEntry | None:
    """Award the points of one event, once.

    The rule is the one in force on ``occurred_on`` for the deputy's home region; the
    yearly cap of that rule may reduce the points, possibly to 0, and the entry is
    recorded with what is left. Returns None when the event was counted before (same
    ``source_key``) or no rule applies.
    """
    _check_kind(kind)
    with transaction.atomic():
        region_code = _lock_deputy(deputy.pk)
        if PointEntry.objects.filter(source_key=source_key).exists():
            return None
        rule = rule_for(region_code=region_code, kind=kind, on=occurred_on)
        if rule is None:
            return None
        amount = _within_cap(
            rule.points,
            cap=rule.cap_per_period,
            deputy_id=deputy.pk,
            kind=kind,
            year=occurred_on.year,
        )
        try:
            with transaction.atomic():
                return PointEntry.objects.create(
                    deputy_id=deputy.pk,
                    kind=kind,
                    points=amount,
                    occurred_on=occurred_on,
                    source_key=source_key,
                    rule=rule,
                    status=Status.AUTO,
                    description=str(description)[:200],
                )
        except IntegrityError:
            if PointEntry.objects.filter(source_key=source_key).exists():
                return None
            raise


def points_set(
    *,
    deputy: Deputy,
    kind: str,
    occurred_on: dt.date,
    source_key: str,
    description: str = "",
) -> PointEntry | None:
    """Like ``points_award`` for an event whose outcome can change (a duty attended,
    then recorded as missed): the one entry of ``source_key`` is created, or replaced
    with the points of the new kind, deputy or date. Returns the entry, or None if no
    rule applies (an entry there was is removed)."""
    _check_kind(kind)
    with transaction.atomic():
        existing = PointEntry.objects.filter(source_key=source_key).only("deputy_id").first()
        for deputy_id in sorted({deputy.pk, existing.deputy_id if existing else deputy.pk}):
            _lock_deputy(deputy_id)
        entry = PointEntry.objects.select_for_update().filter(source_key=source_key).first()
        if entry is not None and (entry.deputy_id, entry.kind, entry.occurred_on) == (
            deputy.pk,
            kind,
            occurred_on,
        ):
            return entry
        rule = rule_for(region_code=deputy.region_id, kind=kind, on=occurred_on)
        if rule is None:
            if entry is not None:
                entry.delete()
            return None
        amount = _within_cap(
            rule.points,
            cap=rule.cap_per_period,
            deputy_id=deputy.pk,
            kind=kind,
            year=occurred_on.year,
            exclude_pk=entry.pk if entry else None,
        )
        if entry is None:
            return PointEntry.objects.create(
                deputy_id=deputy.pk,
                kind=kind,
                points=amount,
                occurred_on=occurred_on,
                source_key=source_key,
                rule=rule,
                status=Status.AUTO,
                description=str(description)[:200],
            )
        entry.deputy_id = deputy.pk
        entry.kind = kind
        entry.points = amount
        entry.occurred_on = occurred_on
        entry.rule = rule
        entry.description = str(description)[:200]
        entry.save(update_fields=["deputy", "kind", "points", "occurred_on", "rule", "description"])
        return entry


def points_revoke(*, source_key: str) -> bool:
    """Remove the automatic entry of an event that no longer stands (a duty deleted)."""
    deleted, _detail = PointEntry.objects.filter(source_key=source_key, status=Status.AUTO).delete()
    return bool(deleted)


# --- Claims -----------------------------------------------------------------------------

EVIDENCE_IMAGE_FORMATS = ("JPEG", "PNG", "WEBP")
EVIDENCE_EXTENSIONS = {"jpg", "jpeg", "png", "webp", "pdf"}


def evidence_clean(upload) -> ContentFile:
    """Check an uploaded evidence file and return what is stored.

    A PDF or an image (JPEG, PNG, WebP) of at most LIAISON_EVIDENCE_MAX_BYTES; images
    are decoded and encoded again in their own format by liaison.images, which drops
    their metadata (a phone photo's GPS position) and anything that is not a picture.
    """
    limit = settings.LIAISON_EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The evidence file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}
        )
    extension = PurePath(upload.name or "").suffix.lower().lstrip(".")
    if extension not in EVIDENCE_EXTENSIONS:
        raise ValidationError(_("Upload a photo (JPEG, PNG or WebP) or a PDF file."))
    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if extension == "pdf":
        if head != b"%PDF-":
            raise ValidationError(_("This file is not a PDF document."))
        return ContentFile(upload.read(), name="evidence.pdf")
    return image_clean(
        upload, max_bytes=limit, stem="evidence", formats=EVIDENCE_IMAGE_FORMATS, keep_format=True
    )


def points_claim(
    *,
    deputy: Deputy,
    description: str,
    occurred_on: dt.date,
    evidence=None,
    by,
) -> PointEntry:
    """A deputy claims points for an activity the system does not see (调研视察, 培训…).

    The entry has no points until the office verifies it.
    """
    if not (
        by.is_authenticated and by.is_active and by.role == "deputy" and deputy.user_id == by.pk
    ):
        raise PermissionDenied
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if not description:
        errors["description"] = [_("Say what you did.")]
    elif len(description) > 200:
        errors["description"] = [_("At most 200 characters.")]
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = [_("The activity cannot be in the future.")]
    stored = None
    if evidence:
        try:
            stored = evidence_clean(evidence)
        except ValidationError as exc:
            errors["evidence"] = exc.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        entry = PointEntry(
            deputy=deputy,
            kind=PointKind.CLAIM_ACTIVITY,
            points=0,
            occurred_on=occurred_on,
            source_key=f"claim:{uuid.uuid4().hex}",
            status=Status.CLAIMED,
            description=description,
        )
        if stored is not None:
            entry.evidence.save(stored.name, stored, save=False)
        entry.save()
        for user in office_users_for(deputy.region_id):
            notification_create(
                channel=Notification.Channel.INBOX,
                kind="points_claim",
                subject=_("Points claim to verify: %(name)s") % {"name": deputy.name},
                body=description,
                recipient=user,
                link=reverse("admin:stations_pointentry_change", args=[entry.pk]),
                dedupe_key=f"points:{entry.pk}:claimed:u{user.pk}",
            )
    return entry


def points_verify(
    *,
    entry: PointEntry,
    by,
    approve: bool,
    points: int | None = None,
    note: str = "",
) -> PointEntry:
    """The office verifies a claim (its points: ``points``, or else those of the rule
    in force for claimed activities) or rejects it."""
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        region_code = _lock_deputy(entry.deputy_id)
        if not (is_office(by) and scoping.in_scope(by, region_code)):
            raise PermissionDenied
        entry = (
            PointEntry.objects.select_for_update(of=("self",))
            .select_related("deputy")
            .get(pk=entry.pk)
        )
        if entry.status != Status.CLAIMED:
            raise ValidationError(_("Only a claim awaiting verification can be decided."))
        rule = rule_for(region_code=region_code, kind=entry.kind, on=entry.occurred_on)
        if approve:
            if points is None:
                if rule is None:
                    raise ValidationError(
                        _("No rule gives points for this activity: enter the points.")
                    )
                points = rule.points
            entry.points = _within_cap(
                int(points),
                cap=rule.cap_per_period if rule else None,
                deputy_id=entry.deputy_id,
                kind=entry.kind,
                year=entry.occurred_on.year,
                exclude_pk=entry.pk,
            )
            entry.rule = rule
            entry.status = Status.VERIFIED
        else:
            entry.points = 0
            entry.status = Status.REJECTED
        entry.verified_by = by
        entry.verified_at = timezone.now()
        entry.review_note = (note or "").strip()[:200]
        entry.save(
            update_fields=["points", "rule", "status", "verified_by", "verified_at", "review_note"]
        )
        if entry.deputy.user_id:
            subject = (
                _("Your claim is verified: %(points)s points") % {"points": f"{entry.points:+d}"}
                if approve
                else _("Your claim was not accepted")
            )
            notification_create(
                channel=Notification.Channel.INBOX,
                kind="points_verified",
                subject=subject,
                body="\n".join(filter(None, [entry.description, entry.review_note])),
                recipient=entry.deputy.user,
                link=reverse("stations:my_points"),
                dedupe_key=f"points:{entry.pk}:{entry.status}",
            )
    return entry


def points_grant(
    *,
    deputy: Deputy,
    kind: str,
    points: int,
    occurred_on: dt.date,
    description: str,
    by,
    evidence=None,
) -> PointEntry:
    """The office records points for an activity it saw itself: verified at once."""
    _check_kind(kind)
    with transaction.atomic():
        region_code = _lock_deputy(deputy.pk)
        if not (is_office(by) and scoping.in_scope(by, region_code)):
            raise PermissionDenied
        rule = rule_for(region_code=region_code, kind=kind, on=occurred_on)
        entry = PointEntry(
            deputy=deputy,
            kind=kind,
            points=_within_cap(
                int(points),
                cap=rule.cap_per_period if rule else None,
                deputy_id=deputy.pk,
                kind=kind,
                year=occurred_on.year,
            ),
            occurred_on=occurred_on,
            source_key=f"staff:{uuid.uuid4().hex}",
            rule=rule,
            status=Status.VERIFIED,
            description=(description or "").strip()[:200],
            verified_by=by,
            verified_at=timezone.now(),
        )
        if evidence:
            stored = evidence_clean(evidence)
            entry.evidence.save(stored.name, stored, save=False)
        entry.save()
    return entry


# --- Grades and scores ------------------------------------------------------------------


def _bands_by_region(codes) -> dict[str, list[GradeBand]]:
    bands: dict[str, list[GradeBand]] = {}
    for band in GradeBand.objects.filter(region_id__in=set(codes)):
        bands.setdefault(band.region_id, []).append(band)
    return bands


def _grade(region_code: str, total: int, bands: dict[str, list[GradeBand]]) -> GradeBand | None:
    """The band of the most specific region of the chain that has any."""
    for code in regions.ancestors_of(region_code):
        scale = bands.get(code)
        if not scale:
            continue
        reached = [band for band in scale if band.min_score is not None and band.min_score <= total]
        if reached:
            return max(reached, key=lambda band: band.min_score)
        return next((band for band in scale if band.min_score is None), None)
    return None


def grade_for(*, region_code: str, total: int) -> GradeBand | None:
    return _grade(region_code, total, _bands_by_region(regions.ancestors_of(region_code)))


def deputy_score(*, deputy: Deputy, year: int) -> dict:
    """A deputy's points of a year: total, per kind, and grade. Two queries."""
    rows = (
        PointEntry.objects.filter(deputy=deputy, occurred_on__year=year, status__in=COUNTED)
        .values("kind")
        .annotate(points=Sum("points"), count=Count("pk"))
    )
    found = {row["kind"]: row for row in rows}
    by_kind = {
        kind.value: {
            "label": kind.label,
            "points": found.get(kind.value, {}).get("points") or 0,
            "count": found.get(kind.value, {}).get("count") or 0,
        }
        for kind in PointKind
    }
    total = sum(item["points"] for item in by_kind.values())
    band = grade_for(region_code=deputy.region_id, total=total)
    return {
        "year": year,
        "total": total,
        "by_kind": by_kind,
        "grade": band.label if band else "",
        "band": band,
    }


def deputy_points_card(*, deputy: Deputy, year: int) -> dict:
    """What a deputy's own points card shows: the score, every entry of the year
    (claims awaiting verification and rejected ones too), and the years to switch to."""
    entries = list(
        PointEntry.objects.filter(deputy=deputy, occurred_on__year=year).order_by(
            "-occurred_on", "-pk"
        )
    )
    first = PointEntry.objects.filter(deputy=deputy).order_by("occurred_on").first()
    this_year = timezone.localdate().year
    start = min(first.occurred_on.year if first else this_year, year, this_year)
    return {
        "score": deputy_score(deputy=deputy, year=year),
        "entries": entries,
        "pending": sum(entry.status == Status.CLAIMED for entry in entries),
        "years": list(range(max(start, this_year - 9), this_year + 1))[::-1],
    }


def deputy_annual_report(*, deputy: Deputy, year: int) -> dict:
    """The facts of a deputy's annual performance report (述职报告). Fixed query count."""
    memberships = list(
        Membership.objects.filter(deputy=deputy, is_active=True)
        .select_related("congress")
        .order_by(LEVEL_ORDER)
    )
    placements = list(
        Placement.objects.filter(deputy=deputy, is_active=True)
        .select_related("station__region")
        .order_by("station__code")
    )
    duties = Duty.objects.filter(
        deputy=deputy, reception_day__date__year=year, reception_day__is_cancelled=False
    ).aggregate(
        on_duty=Count("pk"),
        came=Count("pk", filter=Q(attended=True)),
        absent=Count("pk", filter=Q(attended=False)),
    )
    score = deputy_score(deputy=deputy, year=year)
    activities = list(
        PointEntry.objects.filter(
            deputy=deputy,
            occurred_on__year=year,
            kind=PointKind.CLAIM_ACTIVITY,
            status=Status.VERIFIED,
        ).order_by("occurred_on")
    )
    by_kind = score["by_kind"]
    return {
        "deputy": deputy,
        "year": year,
        "memberships": memberships,
        "placements": placements,
        "duties": duties,
        "receptions": by_kind[PointKind.RECEPTION_LOGGED]["count"],
        "suggestions": by_kind[PointKind.SUGGESTION_SUBMITTED]["count"],
        "ballots": by_kind[PointKind.BALLOT_CAST]["count"],
        "activities": activities,
        "score": score,
    }


def deputies_for_reports(*, user) -> QuerySet[Deputy]:
    """Deputies whose report and evidence ``user`` may open: office staff those of
    their region, a deputy only themself, anybody else none."""
    if is_office(user):
        return scoping.scope(Deputy.objects.all(), user)
    if user.is_authenticated and user.is_active and user.role == "deputy":
        return Deputy.objects.filter(user=user)
    return Deputy.objects.none()


# --- Ranking ----------------------------------------------------------------------------


@dataclasses.dataclass
class RankingRow:
    rank: int
    deputy: Deputy
    total: int
    by_kind: dict[str, int]
    pending: int
    grade: str


def points_ranking(*, user, year: int, region=None) -> list[RankingRow]:
    """Deputies of the user's region (or of ``region`` inside it) by total points of
    ``year``, with the points of each kind and the grade. Two queries at any size.

    Inactive deputies are listed if they have entries that year (a term that ended).
    """
    deputies = scoping.scope(Deputy.objects.all(), user)
    if region is not None:
        if not scoping.in_scope(user, region.code):
            return []
        deputies = deputies.filter(region__code__startswith=region.prefix)
    in_year = Q(point_entries__occurred_on__year=year)
    counted = in_year & Q(point_entries__status__in=COUNTED)
    with_entries = PointEntry.objects.filter(occurred_on__year=year).values("deputy_id")
    zero = Value(0, output_field=IntegerField())
    annotations = {
        "total": Coalesce(Sum("point_entries__points", filter=counted), zero),
        "pending": Count("point_entries", filter=in_year & Q(point_entries__status=Status.CLAIMED)),
    }
    for kind in PointKind:
        annotations[f"points_{kind.value}"] = Coalesce(
            Sum("point_entries__points", filter=counted & Q(point_entries__kind=kind.value)), zero
        )
    rows = list(
        deputies.filter(Q(is_active=True) | Q(pk__in=with_entries))
        .select_related("region")
        .annotate(**annotations)
        .order_by("-total", "code")
    )
    codes = {code for deputy in rows for code in regions.ancestors_of(deputy.region_id)}
    bands = _bands_by_region(codes) if rows else {}
    ranking = []
    previous_total, rank = None, 0
    for position, deputy in enumerate(rows, start=1):
        if deputy.total != previous_total:
            rank, previous_total = position, deputy.total
        band = _grade(deputy.region_id, deputy.total, bands)
        ranking.append(
            RankingRow(
                rank=rank,
                deputy=deputy,
                total=deputy.total,
                by_kind={kind.value: getattr(deputy, f"points_{kind.value}") for kind in PointKind},
                pending=deputy.pending,
                grade=band.label if band else "",
            )
        )
    return ranking


def ranking_xlsx(*, rows: list[RankingRow], year: int) -> bytes:
    """The ranking as an Excel workbook (台账)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(year)
    header = [
        _("Rank"),
        _("Public code"),
        _("Deputy"),
        _("Home region"),
        *[kind.label for kind in PointKind],
        _("Total"),
        _("Grade"),
        _("Claims awaiting verification"),
    ]
    sheet.append([str(cell) for cell in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(
            [
                row.rank,
                row.deputy.code,
                _sanitize_cell(row.deputy.name),
                _sanitize_cell(row.deputy.region.name),
                *[row.by_kind[kind.value] for kind in PointKind],
                row.total,
                _sanitize_cell(row.grade),
                row.pending,
            ]
        )
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCD", (6, 12, 14, 18), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sanitize_cell(value: str) -> str:
    # A name starting with = + - @ would be read as a formula by spreadsheet programs.
    value = str(value)
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value
