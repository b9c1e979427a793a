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


# --- Pages (votes.views) ---------------------------------------------------------------

# The kinds of round whose figures go out with the results, and the one that goes out
# with the evaluation: the two are published at different times.
SELECTION_KINDS = [Round.Kind.SELECTION, Round.Kind.RUNOFF]
SATISFACTION_KINDS = [Round.Kind.SATISFACTION]


def cycle_for_page(pk: int) -> BallotCycle:
    """One cycle with its congress and region (1 query); DoesNotExist if there is none."""
    return BallotCycle.objects.select_related("congress", "congress__region").get(pk=pk)


def cycle_regions() -> QuerySet:
    """The regions whose congresses hold cycles, for the list's region filter."""
    from liaison.models import Region

    return Region.objects.filter(congresses__cycles__isnull=False).distinct().order_by("code")


def candidates_of(cycle: BallotCycle) -> list[Candidate]:
    """The candidate list in ballot order; ``selected`` and ``final_rank`` are the count's
    and must not be shown before the results are published."""
    return list(cycle.candidates.order_by("number"))


def proposals_open(cycle: BallotCycle, *, today=None) -> bool:
    """Whether the public and deputies may still propose (the service's own rule)."""
    from django.utils import timezone

    if cycle.phase != Phase.COLLECTING:
        return False
    today = today or timezone.localdate()
    return not cycle.collect_until or today <= cycle.collect_until


def round_for_ballot() -> QuerySet[Round]:
    """Rounds with their cycle and congress and the candidates in ballot order."""
    return Round.objects.select_related("cycle", "cycle__congress").prefetch_related(
        Prefetch("candidates", queryset=Candidate.objects.order_by("number"))
    )


def projects_supervised_by(deputy: Deputy) -> QuerySet[Project]:
    """Projects whose supervising deputy group the deputy belongs to or leads, with
    their inspections (2 queries)."""
    from django.db.models import Q

    return (
        Project.objects.filter(
            Q(supervising_group__members=deputy) | Q(supervising_group__leader=deputy)
        )
        .select_related(
            "candidate", "candidate__cycle", "candidate__cycle__congress", "supervising_group"
        )
        .prefetch_related("inspections")
        .distinct()
        .order_by("-candidate__cycle__year", "candidate__cycle_id", "candidate__number")
    )


def project_for_inspection() -> QuerySet[Project]:
    """Projects with what the inspection page needs: cycle, congress and group."""
    return Project.objects.select_related(
        "candidate", "candidate__cycle", "candidate__cycle__congress", "supervising_group"
    )
