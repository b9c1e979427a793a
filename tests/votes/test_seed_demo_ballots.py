"""The demo ballots: one cycle open for voting whose deputies all have demo accounts,
one cycle being implemented, the negative list; all of it once, however often it runs."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from liaison.models import Notification, User
from stations.management.commands.seed_demo import DEMO_PASSWORD
from stations.models import Deputy, DeputyGroup
from votes import services, tracking
from votes.models import (
    Ballot,
    BallotCycle,
    Candidate,
    CycleEvent,
    Inspection,
    Mark,
    Milestone,
    NegativeListItem,
    Phase,
    ProgressReport,
    Project,
    ProjectPhoto,
    Proposal,
    RollEntry,
    Round,
    RoundResult,
    TallySheet,
)


def _state() -> dict:
    """What a second run must leave exactly as it is."""
    counted = (
        BallotCycle,
        Proposal,
        Candidate,
        Round,
        RollEntry,
        Ballot,
        Mark,
        TallySheet,
        RoundResult,
        Project,
        Milestone,
        ProgressReport,
        ProjectPhoto,
        Inspection,
        NegativeListItem,
        DeputyGroup,
        CycleEvent,
        Notification,
    )
    return {
        "counts": {model.__name__: model.objects.count() for model in counted},
        "users": list(User.objects.order_by("pk").values_list("username", "password", "role")),
        "accounts": list(Deputy.objects.order_by("pk").values_list("pk", "user_id")),
        "cycles": list(BallotCycle.objects.order_by("pk").values_list("pk", "phase")),
        "projects": list(
            Project.objects.order_by("pk").values_list("pk", "status", "progress", "spent")
        ),
    }


@pytest.fixture
def seeded(db, settings, tmp_path):
    settings.DEBUG = True
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo_suggestions", verbosity=0)
    out = io.StringIO()
    call_command("seed_demo_ballots", stdout=out)
    return out.getvalue()


def test_a_second_run_changes_nothing(seeded):
    first = _state()
    call_command("seed_demo_ballots", stdout=io.StringIO())
    assert _state() == first


def test_one_cycle_is_open_and_every_deputy_of_it_has_a_demo_account(seeded, client):
    cycle = BallotCycle.objects.get(phase=Phase.VOTING)
    assert (cycle.congress.region_id, cycle.year) == ("430421000000", 2027)
    assert (cycle.candidates.count(), cycle.places) == (12, 10)
    assert cycle.is_frozen
    round_ = cycle.rounds.get()
    assert round_.is_open and not round_.ballots.exists()

    deputies = list(services.eligible_deputies(cycle).select_related("user"))
    assert len(deputies) == round_.electorate > 1
    for deputy in deputies:
        assert deputy.user is not None and deputy.user.role == User.Role.DEPUTY
        assert deputy.user.is_active and deputy.user.check_password(DEMO_PASSWORD)
        assert deputy.user.username in seeded  # printed for the person trying the demo
    assert "deputy_demo" in {deputy.user.username for deputy in deputies}
    assert client.login(username="hyx_deputy01", password=DEMO_PASSWORD)

    sources = set(cycle.proposals.values_list("source", flat=True))
    assert {"public", "deputy", "department"} <= sources
    rejected = cycle.proposals.get(status=Proposal.Status.REJECTED)
    assert [item.text for item in rejected.negative_items.all()] == ["楼堂馆所建设"]


def test_the_township_cycle_was_voted_counted_and_is_being_implemented(seeded):
    cycle = BallotCycle.objects.get(phase=Phase.IMPLEMENTING)
    assert (cycle.congress.region_id, cycle.year) == ("430681118000", 2026)
    selection = cycle.rounds.get(kind=Round.Kind.SELECTION)
    assert selection.status == Round.Status.COUNTED and not selection.tie
    # Electronic ballots through the service: one roll entry per ballot, nothing more.
    assert Ballot.objects.filter(round=selection).count() == selection.electronic_ballots
    assert RollEntry.objects.filter(round=selection).count() == selection.electronic_ballots
    sheets = TallySheet.objects.filter(round=selection)
    assert {sheet.entered_by.username for sheet in sheets} == {"quzici_clerk", "quzici_scrutineer"}
    assert all(sheet.accepted for sheet in sheets) and selection.paper_valid == 2

    ferry = RoundResult.objects.get(round=selection, candidate__title="名山渡口改造项目")
    assert ferry.counts == {"for": selection.electorate, "against": 0, "abstain": 0}
    assert ferry.selected and ferry.rank == 1

    projects = list(Project.objects.filter(candidate__cycle=cycle).select_related("candidate"))
    assert len(projects) == cycle.places
    for project in projects:
        assert project.supervising_group is not None
        assert project.reports.exists() and project.photos.exists()
        assert project.inspections.filter(kind=Inspection.Kind.MID_YEAR).exists()
        for photo in project.photos.all():
            assert photo.image.storage.exists(photo.image.name)
    statuses = {project.candidate.title: project.status for project in projects}
    assert statuses["名山渡口改造项目"] == Project.Status.COMPLETED

    today = timezone.localdate()
    overdue = Milestone.objects.filter(
        project__candidate__cycle=cycle, completed_on__isnull=True, due_date__lt=today
    )
    assert overdue.count() == 1
    # The daily reminder finds it, and tells the township office.
    assert tracking.milestones_remind() >= 1
    assert Notification.objects.filter(
        kind="milestone_overdue", recipient__username="quzici_clerk"
    ).exists()


def test_the_negative_list_is_global(seeded):
    texts = set(NegativeListItem.objects.filter(region=None).values_list("text", flat=True))
    assert {
        "楼堂馆所建设",
        "形象工程和政绩工程",
        "应由市场主体投资的经营性项目",
        "已列入上级财政计划的项目",
        "当年无法完成且无明确年度目标的项目",
        "超出本级财力的项目",
    } <= texts
    assert not NegativeListItem.objects.exclude(region=None).exists()


def test_seed_demo_ballots_refuses_to_run_in_production_without_force(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo_ballots", verbosity=0)
    assert not BallotCycle.objects.exists()


def test_seed_demo_ballots_needs_the_demo_data_first(db, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo_ballots", stdout=io.StringIO())
    assert not BallotCycle.objects.exists() and not NegativeListItem.objects.exists()
