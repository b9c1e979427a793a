"""The figures of a region and a period: the one selector behind the admin dashboard, the
monthly and annual reports (page, Excel, PDF) and the checks against the ledger export.

Everything is read through ``figures()``, so the dashboard, the reports and the ledger
agree by construction: no page counts anything on its own.

Like ``liaison/urls.py`` this module is project level: it is the one place that reads
across the apps (opinions, stations, deputies, ballots), so it imports from them.

How the figures are counted (the Hunan offices' terms, as the ledger shows them):

* A region means its subtree: rows whose region code starts with the region's
  significant digits (``liaison.regions.prefix_of``), as ``liaison.scoping`` filters.
* The period is a calendar month or year in Beijing time, ``[start, end)``.
* Opinions are counted by cohort: the constituent opinions *received* in the period,
  and what has become of them by now. A monthly trend is by month of receipt, so the
  months add up to the period.
* **Received (受理)**: every opinion received in the period, whatever happened to it
  since; one per ledger row.
* Set aside, and so outside the handling rates: **merged** duplicates (their
  constituents get the primary's answer, which is counted once, on the primary),
  **promoted** ones (turned into a deputy suggestion: counted there from then on) and
  **rejected** ones (not admissible: in litigation, arbitration or review, or outside
  any body's remit).
* **To handle (应办)** = received − merged − promoted − rejected.
* **Closed (办结)**: the handling answered the constituent — the item is *replied*
  (waiting for the rating), *answered on the spot*, or *closed* after the rating.
  Everything else still to handle is **open** (received, assigned or reopened), so
  to handle = closed + open.
* **Closed rate (办结率)** = closed / to handle.
* **Closed on time (按期办结)**: a closed item whose answer that stands (the latest
  reply, ``replied_at``, in Beijing time) came on or before its due date then in force
  (``due_date``: re-handling after an unsatisfied rating sets a new one); an item
  answered before it ever had a time limit (on the spot, at intake) is on time.
  **On-time rate (按期办结率)** = closed on time / closed. Both dates are ledger
  columns ("Replied on", "Due date"), so the rate can be checked by hand on the ledger.
* **Satisfaction rate (满意率)** = (satisfied + basically satisfied) / rated, where
  rated counts the items whose latest rating is satisfied, basically satisfied or
  unsatisfied; "not rated" (no answer in time) is not a rating.
* **Overdue now (超期)**: a snapshot at ``today`` over the region's whole ledger, not
  only the period: open items (received, assigned, reopened) whose due date has passed —
  the admin's "Overdue" filter.
* Deputy suggestions: those the office accepted (numbered) in the period, and how many
  of them are answered (replied or closed).
* Receptions (接待): receptions at the region's stations dated in the period, visitors
  summed; stations without one in the period are counted as idle.
* Deputies' activity, for deputies whose home region lies in the region: receptions
  they attended, opinions addressed to them, deputy suggestions they lead (accepted in
  the period) and performance points of events in the period (automatic and verified
  entries, as the points card counts them).
* Ballot cycles of the region's congresses for the period's year(s), by phase; and
  the projects selected in those cycles, by status, with their progress and the
  milestones overdue at ``today``.

Every figure is a fixed number of aggregate queries, whatever the number of rows,
regions, stations or deputies: opinions are one grouped aggregate (month × category ×
child region) folded in Python into the headline and the three breakdowns, so they
add up by construction.
"""

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db.models import CharField, Count, Exists, OuterRef, Q, Sum, Value
from django.db.models.functions import Substr, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison import regions, scoping
from liaison.models import Region
from liaison.rules import is_office
from stations.models import Deputy, Reception, Station
from stations.models.points import PointEntry
from suggestions.models import Case, DeputySuggestion, FollowUp, Suggestion
from votes import selectors as votes_selectors
from votes.models import Phase, Project

S = Case.Status
CLOSED_STATUSES = (S.REPLIED, S.ANSWERED_ON_SPOT, S.CLOSED)
OPEN_STATUSES = Case.OPEN_STATUSES
SATISFIED_RATINGS = (FollowUp.Rating.SATISFIED, FollowUp.Rating.BASICALLY)
RATED_RATINGS = (*SATISFIED_RATINGS, FollowUp.Rating.UNSATISFIED)
# Numbered deputy suggestions: accepting one (``deputy_suggestion_accept``) sets its
# received time to the acceptance, so the period filter can use the received index.
NOT_ACCEPTED = (S.DRAFT, S.SUBMITTED)


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal, as every page and file shows it; None for 0/0."""
    return round(100 * part / whole, 1) if whole else None


# --- The period ------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month (``month`` set) or year of Beijing time: ``[start, end)``."""

    year: int
    month: int | None = None

    @classmethod
    def of(cls, year: int, month: int | None = None) -> "Period":
        if month is not None and not 1 <= month <= 12:
            raise ValueError(month)
        return cls(year=year, month=month)

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month or 1, 1)

    @property
    def end(self) -> dt.date:
        if self.month is None:
            return dt.date(self.year + 1, 1, 1)
        return _next_month(self.start)

    @property
    def is_month(self) -> bool:
        return self.month is not None

    @property
    def label(self) -> str:
        if self.month is None:
            return _("%(year)d") % {"year": self.year}
        return _("%(year)d-%(month)02d") % {"year": self.year, "month": self.month}

    def months(self, today: dt.date) -> list[dt.date]:
        """The first day of each month of the period, up to the month of ``today``."""
        last = min(self.end, _next_month(today.replace(day=1)))
        months, day = [], self.start
        while day < last:
            months.append(day)
            day = _next_month(day)
        return months or [self.start]


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=calendar.monthrange(day.year, day.month)[1])) + dt.timedelta(days=1)


def _aware(day: dt.date) -> dt.datetime:
    # The office's day, whatever time zone a request activated.
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), _tz())


def _tz():
    return timezone.get_default_timezone()


# --- The figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """What became of the opinions of one cohort (the period, a month, a category…)."""

    received: int = 0
    merged: int = 0
    promoted: int = 0
    rejected: int = 0
    closed: int = 0
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def to_handle(self) -> int:
        return self.received - self.merged - self.promoted - self.rejected

    @property
    def open(self) -> int:
        return self.to_handle - self.closed

    @property
    def closed_rate(self) -> float | None:
        return rate(self.closed, self.to_handle)

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.closed)

    @property
    def satisfaction_rate(self) -> float | None:
        return rate(self.satisfied, self.rated)


@dataclass(frozen=True)
class Row:
    """One line of a breakdown: a month, a category or a child region."""

    key: str
    label: str
    counts: Counts
    # Open items past their due date now (the snapshot): for categories and regions.
    overdue: int | None = None


@dataclass(frozen=True)
class DeputySuggestionCounts:
    accepted: int = 0
    answered: int = 0

    @property
    def answered_rate(self) -> float | None:
        return rate(self.answered, self.accepted)


@dataclass(frozen=True)
class StationRow:
    code: str
    name: str
    region: str
    receptions: int
    visitors: int


@dataclass(frozen=True)
class Stations:
    active: int
    idle: int  # active stations without a reception in the period
    receptions: int
    visitors: int
    rows: tuple[StationRow, ...]  # stations with receptions, most first


@dataclass(frozen=True)
class DeputyRow:
    code: str
    name: str
    region: str
    receptions: int
    opinions: int
    suggestions: int
    points: int


@dataclass(frozen=True)
class Deputies:
    active: int  # active deputies of the region
    with_activity: int  # deputies with any activity in the period
    rows: tuple[DeputyRow, ...]  # those deputies, by points then receptions


@dataclass(frozen=True)
class CycleRow:
    pk: int
    title: str
    congress: str
    year: int
    phase: str
    phase_label: str


@dataclass(frozen=True)
class ProjectRow:
    pk: int
    title: str
    cycle: str
    status: str
    status_label: str
    progress: int
    budget: Decimal
    spent: Decimal
    overdue_milestones: int


@dataclass(frozen=True)
class Ballots:
    cycles: tuple[CycleRow, ...]
    by_phase: tuple[tuple[str, str, int], ...]  # (phase, label, cycles), in phase order
    projects: tuple[ProjectRow, ...]
    by_status: tuple[tuple[str, str, int], ...]  # (status, label, projects)
    completed: int
    average_progress: float | None
    overdue_milestones: int


@dataclass(frozen=True)
class Figures:
    region: Region | None  # None: every region (a superuser's whole country)
    period: Period
    today: dt.date
    opinions: Counts
    overdue_now: int
    months: tuple[Row, ...]
    categories: tuple[Row, ...]
    child_regions: tuple[Row, ...]
    deputy_suggestions: DeputySuggestionCounts
    stations: Stations
    deputies: Deputies
    ballots: Ballots

    @property
    def region_name(self) -> str:
        return self.region.name if self.region else _("All regions")


def figures(region: Region | None, period: Period, *, today: dt.date | None = None) -> Figures:
    """Every figure of ``region``'s subtree for ``period`` (see the module docstring)."""
    today = today or timezone.localdate()
    prefix = region.prefix if region else ""
    children = _children(region)
    opinions, overdue_now, months, categories, child_regions = _opinions(
        prefix, region, children, period, today
    )
    return Figures(
        region=region,
        period=period,
        today=today,
        opinions=opinions,
        overdue_now=overdue_now,
        months=months,
        categories=categories,
        child_regions=child_regions,
        deputy_suggestions=_deputy_suggestions(prefix, period),
        stations=_stations(prefix, period),
        deputies=_deputies(prefix, period),
        ballots=_ballots(region, period, today),
    )


def _children(region: Region | None) -> list[Region]:
    if region is None:
        return list(Region.objects.filter(parent__isnull=True).order_by("code"))
    return list(Region.objects.filter(parent=region).order_by("code"))


def _child_length(region: Region | None) -> int | None:
    """Digits of a child region's prefix: how a row's region code maps to the child."""
    if region is None:
        return regions.PREFIX_LENGTH["province"]
    index = regions.LEVELS.index(region.level)
    if index + 1 == len(regions.LEVELS):
        return None  # a village has no children
    return regions.PREFIX_LENGTH[regions.LEVELS[index + 1]]


def _in_subtree(prefix: str, lookup: str = "region") -> Q:
    return Q(**{f"{lookup}__code__startswith": prefix}) if prefix else Q()


def _count_aggregates() -> dict:
    replied_on = TruncDate("replied_at", tzinfo=_tz())
    closed = Q(status__in=CLOSED_STATUSES)
    return {
        "received": Count("pk"),
        "merged": Count("pk", filter=Q(status=S.MERGED)),
        "promoted": Count("pk", filter=Q(status=S.PROMOTED)),
        "rejected": Count("pk", filter=Q(status=S.REJECTED)),
        "closed": Count("pk", filter=closed),
        "on_time": Count(
            "pk", filter=closed & (Q(due_date__isnull=True) | Q(due_date__gte=replied_on))
        ),
        "rated": Count("pk", filter=Q(satisfaction__in=RATED_RATINGS)),
        "satisfied": Count("pk", filter=Q(satisfaction__in=SATISFIED_RATINGS)),
    }


def _opinions(prefix, region, children, period: Period, today: dt.date):
    """Constituent opinions: two grouped aggregates, whatever the size of the ledger.

    ``Case`` rows of the constituent kind are the opinions (``Suggestion`` is their
    multi-table child); reading ``Case`` spares a join and uses its (region, received)
    index.
    """
    child_length = _child_length(region)
    child = (
        Substr("region_id", 1, child_length)
        if child_length
        else Value("", output_field=CharField())
    )
    opinions = Case.objects.filter(_in_subtree(prefix), kind=Case.Kind.CONSTITUENT)
    grouped = (
        opinions.filter(received_at__gte=_aware(period.start), received_at__lt=_aware(period.end))
        .annotate(month=TruncMonth("received_at", tzinfo=_tz()), child=child)
        .values("month", "category_id", "category__name", "child")
        .annotate(**_count_aggregates())
        .order_by()
    )
    total = Counts()
    by_month: dict[dt.date, Counts] = defaultdict(Counts)
    by_category: dict[int | None, Counts] = defaultdict(Counts)
    by_child: dict[str, Counts] = defaultdict(Counts)
    category_names: dict[int | None, str] = {}
    for row in grouped:
        counts = Counts(**{f.name: row[f.name] for f in fields(Counts)})
        total += counts
        month = row["month"]
        by_month[month.date() if isinstance(month, dt.datetime) else month] += counts
        by_category[row["category_id"]] += counts
        category_names[row["category_id"]] = row["category__name"]
        by_child[_child_code(row["child"])] += counts

    overdue_rows = (
        opinions.filter(status__in=OPEN_STATUSES, due_date__lt=today)
        .annotate(child=child)
        .values("category_id", "category__name", "child")
        .annotate(n=Count("pk"))
        .order_by()
    )
    overdue_total = 0
    overdue_category: dict[int | None, int] = defaultdict(int)
    overdue_child: dict[str, int] = defaultdict(int)
    for row in overdue_rows:
        overdue_total += row["n"]
        overdue_category[row["category_id"]] += row["n"]
        category_names.setdefault(row["category_id"], row["category__name"])
        overdue_child[_child_code(row["child"])] += row["n"]

    months = tuple(
        Row(key=f"{month:%Y-%m}", label=f"{month:%Y-%m}", counts=by_month.get(month, Counts()))
        for month in period.months(today)
    )
    # Most received first; "no category" last among equals.
    category_keys = sorted(
        set(by_category) | set(overdue_category),
        key=lambda pk: (
            -by_category.get(pk, Counts()).received,
            -overdue_category.get(pk, 0),
            pk is None,
            category_names.get(pk) or "",
        ),
    )
    categories = tuple(
        Row(
            key=str(pk or ""),
            label=category_names.get(pk) or _("No category"),
            counts=by_category.get(pk, Counts()),
            overdue=overdue_category.get(pk, 0),
        )
        for pk in category_keys
    )
    child_rows = []
    if child_length:
        known = {r.code for r in children}
        for child_region in children:
            child_rows.append(
                Row(
                    key=child_region.code,
                    label=child_region.name,
                    counts=by_child.get(child_region.code, Counts()),
                    overdue=overdue_child.get(child_region.code, 0),
                )
            )
        # Items filed at the region itself (a county-level matter) belong to no child.
        own = [code for code in set(by_child) | set(overdue_child) if code not in known]
        for code in sorted(own):
            child_rows.append(
                Row(
                    key=code,
                    label=_("%(name)s itself") % {"name": region.name}
                    if region and code == region.code
                    else code,
                    counts=by_child.get(code, Counts()),
                    overdue=overdue_child.get(code, 0),
                )
            )
    return total, overdue_total, months, categories, tuple(child_rows)


def _child_code(child) -> str:
    return str(child).ljust(12, "0") if child else ""


def _deputy_suggestions(prefix: str, period: Period) -> DeputySuggestionCounts:
    counts = (
        Case.objects.filter(
            _in_subtree(prefix),
            kind=Case.Kind.DEPUTY,
            received_at__gte=_aware(period.start),
            received_at__lt=_aware(period.end),
        )
        .exclude(status__in=NOT_ACCEPTED)
        .aggregate(
            accepted=Count("pk"),
            answered=Count("pk", filter=Q(status__in=(S.REPLIED, S.CLOSED))),
        )
    )
    return DeputySuggestionCounts(**counts)


def _stations(prefix: str, period: Period) -> Stations:
    in_period = Q(date__gte=period.start, date__lt=period.end)
    rows = list(
        Reception.objects.filter(_in_subtree(prefix, "station__region"), in_period)
        .values("station_id", "station__code", "station__name", "station__region__name")
        .annotate(receptions=Count("pk"), visitors=Sum("visitors"))
        .order_by("-receptions", "-visitors", "station__code")
    )
    totals = Station.objects.filter(_in_subtree(prefix), is_active=True).aggregate(
        active=Count("pk"),
        busy=Count(
            "pk",
            filter=Exists(Reception.objects.filter(in_period, station=OuterRef("pk"))),
        ),
    )
    return Stations(
        active=totals["active"],
        idle=totals["active"] - totals["busy"],
        receptions=sum(row["receptions"] for row in rows),
        visitors=sum(row["visitors"] or 0 for row in rows),
        rows=tuple(
            StationRow(
                code=row["station__code"],
                name=row["station__name"],
                region=row["station__region__name"],
                receptions=row["receptions"],
                visitors=row["visitors"] or 0,
            )
            for row in rows
        ),
    )


def _deputies(prefix: str, period: Period) -> Deputies:
    """Each kind of activity is one aggregate over the period's rows, grouped by deputy;
    the names are read for the deputies that had any. Five queries at any size."""
    received = Q(received_at__gte=_aware(period.start), received_at__lt=_aware(period.end))
    activity: dict[int, dict[str, int]] = defaultdict(
        lambda: {"receptions": 0, "opinions": 0, "suggestions": 0, "points": 0}
    )
    Present = Reception.deputies.through
    for deputy_id, n in (
        Present.objects.filter(
            _in_subtree(prefix, "deputy__region"),
            reception__date__gte=period.start,
            reception__date__lt=period.end,
        )
        .values("deputy_id")
        .annotate(n=Count("pk"))
        .values_list("deputy_id", "n")
    ):
        activity[deputy_id]["receptions"] = n
    for deputy_id, n in (
        Suggestion.objects.filter(_in_subtree(prefix, "deputy__region"), received)
        .values("deputy_id")
        .annotate(n=Count("pk"))
        .values_list("deputy_id", "n")
    ):
        activity[deputy_id]["opinions"] = n
    for deputy_id, n in (
        DeputySuggestion.objects.filter(_in_subtree(prefix, "author__region"), received)
        .exclude(status__in=NOT_ACCEPTED)
        .values("author_id")
        .annotate(n=Count("pk"))
        .values_list("author_id", "n")
    ):
        activity[deputy_id]["suggestions"] = n
    for deputy_id, points in (
        PointEntry.objects.filter(
            _in_subtree(prefix, "deputy__region"),
            occurred_on__gte=period.start,
            occurred_on__lt=period.end,
            status__in=PointEntry.COUNTED,
        )
        .values("deputy_id")
        .annotate(points=Sum("points"))
        .values_list("deputy_id", "points")
    ):
        activity[deputy_id]["points"] = points or 0
    people = {
        row["pk"]: row
        for row in Deputy.objects.filter(pk__in=list(activity)).values(
            "pk", "code", "name", "region__name"
        )
    }
    rows = sorted(
        (
            DeputyRow(
                code=people[pk]["code"],
                name=people[pk]["name"],
                region=people[pk]["region__name"],
                **numbers,
            )
            for pk, numbers in activity.items()
            if pk in people and any(numbers.values())
        ),
        key=lambda row: (-row.points, -row.receptions, -row.opinions, row.code),
    )
    active = Deputy.objects.filter(_in_subtree(prefix), is_active=True).count()
    return Deputies(active=active, with_activity=len(rows), rows=tuple(rows))


def _ballots(region: Region | None, period: Period, today: dt.date) -> Ballots:
    """Cycles of the region's congresses for the period's year, and their projects."""
    # The ballots' own selector: the cycles of the congresses in the region's subtree.
    cycles_qs = votes_selectors.cycles_public(region_code=region.code if region else None).filter(
        year=period.year
    )
    cycles = tuple(
        CycleRow(
            pk=row["pk"],
            title=row["title"],
            congress=row["congress__name"],
            year=row["year"],
            phase=row["phase"],
            phase_label=str(Phase(row["phase"]).label),
        )
        for row in cycles_qs.values("pk", "title", "year", "phase", "congress__name").order_by(
            "congress__region_id", "pk"
        )
    )
    phase_counts = defaultdict(int)
    for cycle in cycles:
        phase_counts[cycle.phase] += 1
    by_phase = tuple(
        (phase.value, str(phase.label), phase_counts[phase.value])
        for phase in Phase
        if phase_counts[phase.value]
    )
    late = Q(milestones__completed_on__isnull=True, milestones__due_date__lt=today)
    projects = tuple(
        ProjectRow(
            pk=row["pk"],
            title=row["candidate__title"],
            cycle=row["candidate__cycle__title"],
            status=row["status"],
            status_label=str(Project.Status(row["status"]).label),
            progress=row["progress"],
            budget=row["budget"],
            spent=row["spent"],
            overdue_milestones=row["overdue_milestones"],
        )
        for row in Project.objects.filter(candidate__cycle__in=cycles_qs)
        .annotate(overdue_milestones=Count("milestones", filter=late))
        .values(
            "pk",
            "candidate__title",
            "candidate__cycle__title",
            "status",
            "progress",
            "budget",
            "spent",
            "overdue_milestones",
        )
        .order_by(
            "candidate__cycle__congress__region_id", "candidate__cycle_id", "candidate__number"
        )
    )
    status_counts = defaultdict(int)
    for project in projects:
        status_counts[project.status] += 1
    by_status = tuple(
        (status.value, str(status.label), status_counts[status.value])
        for status in Project.Status
        if status_counts[status.value]
    )
    return Ballots(
        cycles=cycles,
        by_phase=by_phase,
        projects=projects,
        by_status=by_status,
        completed=status_counts[Project.Status.COMPLETED],
        average_progress=(
            round(sum(p.progress for p in projects) / len(projects), 1) if projects else None
        ),
        overdue_milestones=sum(p.overdue_milestones for p in projects),
    )


def received_count(region: Region | None, period: Period, *, limit: int) -> int:
    """How many opinions the period received, counted only up to ``limit + 1``: enough
    to decide whether a report is built in the background, without counting them all."""
    opinions = Case.objects.filter(
        _in_subtree(region.prefix if region else ""),
        kind=Case.Kind.CONSTITUENT,
        received_at__gte=_aware(period.start),
        received_at__lt=_aware(period.end),
    )
    return opinions.order_by()[: limit + 1].count()


# --- Whose figures a user may read ---------------------------------------------------


def may_read(user) -> bool:
    """Office staff (their region's subtree) and superusers (everything)."""
    return bool(user and user.is_authenticated and user.is_active and is_office(user))


def home_region(user) -> Region | None:
    """Where a user's figures start: the office's own region; for a superuser the
    single top region (the province), or None (every region) when there are several."""
    if scoping.sees_everything(user):
        roots = list(Region.objects.filter(parent__isnull=True).order_by("code")[:2])
        return roots[0] if len(roots) == 1 else None
    return Region.objects.get(code=user.region_id)


def region_for(user, code: str | None) -> Region | None:
    """The region ``code`` names if ``user`` may read it; their home region without a
    code. Raises ``Region.DoesNotExist`` for an unknown code or one outside the user's
    jurisdiction, so callers answer both the same way (a 404)."""
    if not code:
        return home_region(user)
    if not regions.CODE_RE.match(code) or not scoping.in_scope(user, code):
        raise Region.DoesNotExist(code)
    return Region.objects.get(code=code)


def region_picker(user, selected: Region | None) -> list[tuple[str, str]]:
    """Choices for a region picker: the way down from the user's home region to the
    selected one, then the selected region's children, indented by depth. One query."""
    everything = scoping.sees_everything(user)
    home = None if everything else user.region_id
    chain = []
    if selected is not None:
        chain = [
            code
            for code in regions.ancestors_of(selected.code)
            if home is None or code.startswith(regions.prefix_of(home))
        ]
    query = Q(code__in=chain) | (
        Q(parent=selected) if selected is not None else Q(parent__isnull=True)
    )
    if everything:
        query |= Q(parent__isnull=True)
    found = list(Region.objects.filter(query).order_by("code"))
    several_roots = sum(region.parent_id is None for region in found) > 1
    choices = [("", _("All regions"))] if everything and several_roots else []
    top_depth = regions.LEVELS.index(regions.level_of(home)) if home else 0
    for region in found:
        depth = regions.LEVELS.index(region.level) - top_depth
        choices.append((region.code, "\u2003" * depth + region.name))
    return choices
