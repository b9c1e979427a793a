"""Reads for ballot cycles: each selector owns its joins, so every page and API answer
is a fixed number of queries."""

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from liaison import regions
from stations.models import Deputy
from votes.models import (
    Ballot,
    BallotCycle,
    Candidate,
    Phase,
    Project,
    RollEntry,
    Round,
    RoundResult,
)

# Phases in which the public may see a cycle at all (collecting and screening are
# announced; the candidate list is published; results once published).
PUBLIC_PHASES = [phase.value for phase in Phase]
RESULTS_PHASES = [Phase.PUBLISHED, Phase.IMPLEMENTING, Phase.EVALUATED]


def cycles_for_deputy(deputy: Deputy) -> QuerySet[BallotCycle]:
    """Cycles of the congresses the deputy sits in (active seat)."""
    return (
        BallotCycle.objects.filter(
            congress__memberships__deputy=deputy, congress__memberships__is_active=True
        )
        .select_related("congress", "congress__region")
        .distinct()
    )


def open_rounds_for(deputy: Deputy) -> QuerySet[Round]:
    """The rounds open for voting that the deputy may vote in, with ``has_voted``."""
    if deputy is None or not deputy.is_active:
        return Round.objects.none()
    return (
        Round.objects.filter(
            status=Round.Status.OPEN,
            cycle__congress__memberships__deputy=deputy,
            cycle__congress__memberships__is_active=True,
        )
        .select_related("cycle", "cycle__congress")
        .prefetch_related(Prefetch("candidates", queryset=Candidate.objects.order_by("number")))
        .annotate(has_voted=Exists(RollEntry.objects.filter(round=OuterRef("pk"), deputy=deputy)))
        .order_by("cycle__year", "cycle_id", "number")
    )


def cycles_public(*, region_code: str | None = None) -> QuerySet[BallotCycle]:
    qs = BallotCycle.objects.select_related("congress", "congress__region").order_by(
        "-year", "congress__region_id"
    )
    if region_code:
        qs = qs.filter(congress__region__code__startswith=regions.prefix_of(region_code))
    return qs


def results_published(cycle: BallotCycle) -> bool:
    return cycle.phase in RESULTS_PHASES


def evaluation_published(cycle: BallotCycle) -> bool:
    return cycle.phase == Phase.EVALUATED


def counted_rounds(cycle: BallotCycle, *, kinds=None) -> list[Round]:
    """The cycle's counted rounds with their results and candidates (3 queries)."""
    qs = cycle.rounds.filter(status=Round.Status.COUNTED).order_by("number")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    return list(
        qs.prefetch_related(
            Prefetch(
                "results",
                queryset=RoundResult.objects.select_related("candidate").order_by(
                    "rank", "candidate__number"
                ),
            )
        )
    )


def receipts(cycle: BallotCycle, *, kinds) -> list[str]:
    """Every counted ballot's receipt code, sorted: a deputy finds theirs to see it counted."""
    return sorted(
        Ballot.objects.filter(
            round__cycle=cycle, round__status=Round.Status.COUNTED, round__kind__in=kinds
        ).values_list("receipt", flat=True)
    )


def projects_of(cycle: BallotCycle) -> QuerySet[Project]:
    return (
        Project.objects.filter(candidate__cycle=cycle)
        .select_related("candidate", "supervising_group")
        .order_by("candidate__number")
    )


def project_detail(pk: int) -> Project:
    return (
        Project.objects.select_related(
            "candidate", "candidate__cycle", "candidate__cycle__congress", "supervising_group"
        )
        .prefetch_related("milestones", "reports", "photos", "inspections")
        .get(pk=pk)
    )
