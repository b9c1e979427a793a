"""The public ballots and projects API: cycles, projects being carried out and their
progress, for every role; nothing links a deputy to a mark or an inspection."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_cycle
from votes.models import Phase, Project
from votes.models.projects import Inspection, Milestone, ProgressReport

pytestmark = pytest.mark.django_db

CYCLES = reverse("votes_api:cycles")
PROJECTS = reverse("votes_api:projects")


def project_url(pk) -> str:
    return reverse("votes_api:project", args=[pk])


def make_project(cycle, number: int = 1, **extra) -> Project:
    candidate = cycle.candidates.get(number=number)
    return Project.objects.create(candidate=candidate, budget=Decimal("100.00"), **extra)


@pytest.fixture
def implementing(congress, voters):
    """Last year's cycle of the county congress, being implemented, with one project that
    has a milestone, a report and an inspection by two deputies."""
    cycle = make_cycle(congress, year=2026, phase=Phase.IMPLEMENTING, places=1, candidates=2)
    project = make_project(cycle, progress=40, status=Project.Status.UNDERWAY)
    Milestone.objects.create(project=project, title="招标", due_date=dt.date(2026, 6, 1))
    ProgressReport.objects.create(
        project=project, reported_on=dt.date(2026, 7, 1), progress=40, spent=Decimal("3")
    )
    inspection = Inspection.objects.create(
        project=project,
        kind=Inspection.Kind.MID_YEAR,
        inspected_on=dt.date(2026, 7, 2),
        finding=Inspection.Finding.ON_TRACK,
        report="按计划推进。",
        submitted_by=voters[0].user,
    )
    inspection.deputies.set(voters[:2])
    return project


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture(params=["anonymous", "deputy", "county_clerk", "other_county_clerk", "admin"])
def anyone(request, voters):
    users = {
        "anonymous": lambda: None,
        "deputy": lambda: voters[0].user,
        "county_clerk": lambda: request.getfixturevalue("county_clerk"),
        "other_county_clerk": lambda: request.getfixturevalue("other_county_clerk"),
        "admin": lambda: request.getfixturevalue("admin_user"),
    }
    return client_for(users[request.param]())


# --- Cycles ---------------------------------------------------------------------------


def test_everyone_lists_every_cycle_with_its_results_link_once_published(
    anyone, cycle, implementing
):
    body = anyone.get(CYCLES).json()
    assert [c["year"] for c in body["results"]] == [2027, 2026]
    current, last = body["results"]
    assert current["results_published"] is False and current["results_url"] is None
    assert last["results_published"] is True
    assert last["results_url"].endswith(f"/api/v1/ballots/{last['id']}/results/")


def test_cycles_filter_by_region_year_phase_and_publication(cycle, implementing, other_congress):
    make_cycle(other_congress, year=2027)
    years = lambda **q: [  # noqa: E731
        (c["region"], c["year"]) for c in APIClient().get(CYCLES, q).json()["results"]
    ]
    assert years(region="430422000000") == [("430422000000", 2027)]
    assert years(region="430400000000", year=2026) == [("430421000000", 2026)]
    assert years(phase="implementing") == [("430421000000", 2026)]
    assert years(results_published="true") == [("430421000000", 2026)]
    assert len(years(results_published="false")) == 2


@pytest.mark.parametrize(
    "query", [{"region": "43"}, {"year": "1900"}, {"phase": "<script>"}, {"year": "1 OR 1"}]
)
def test_a_bad_cycle_filter_is_a_400(cycle, query):
    response = APIClient().get(CYCLES, query)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == list(query)


def test_the_cycle_list_is_a_fixed_number_of_queries(
    congress, hengnan_county, django_assert_max_num_queries
):
    for year in range(2001, 2021):
        make_cycle(congress, year=year, candidates=0)
    with django_assert_max_num_queries(2):
        assert APIClient().get(CYCLES).json()["count"] == 20


# --- Projects -------------------------------------------------------------------------


def test_everyone_lists_projects_being_carried_out(anyone, cycle, implementing):
    # The current cycle has candidates but is not implemented: none of its are listed.
    body = anyone.get(PROJECTS).json()
    assert [p["id"] for p in body["results"]] == [implementing.pk]
    row = body["results"][0]
    assert row["progress"] == 40
    assert row["status"] == "underway"
    assert row["cycle"]["year"] == 2026


def test_a_project_page_shows_progress_and_inspections_without_deputies(anyone, implementing):
    body = anyone.get(project_url(implementing.pk)).json()
    assert [m["title"] for m in body["milestones"]] == ["招标"]
    assert body["reports"][0]["progress"] == 40
    [inspection] = body["inspections"]
    assert set(inspection) == {
        "kind",
        "kind_display",
        "inspected_on",
        "finding",
        "finding_display",
        "report",
    }
    text = str(body)
    for deputy in implementing.inspections.get().deputies.all():
        assert deputy.name not in text and deputy.code not in text


def test_a_project_of_a_cycle_not_yet_implemented_is_404(cycle):
    project = make_project(cycle)
    for path in (project_url(project.pk), project_url(0), project_url(10**12)):
        response = APIClient().get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert APIClient().get(PROJECTS).json()["count"] == 0


def test_projects_filter_and_order(implementing, other_congress):
    other = make_cycle(other_congress, year=2026, phase=Phase.EVALUATED, candidates=1)
    done = make_project(other, progress=100, status=Project.Status.COMPLETED)
    ids = lambda **q: [p["id"] for p in APIClient().get(PROJECTS, q).json()["results"]]  # noqa: E731
    assert ids(region="430422000000") == [done.pk]
    assert ids(cycle=implementing.candidate.cycle_id) == [implementing.pk]
    assert ids(status="completed") == [done.pk]
    assert ids(ordering="-progress") == [done.pk, implementing.pk]
    assert ids(ordering="progress") == [implementing.pk, done.pk]
    # Not an orderable field: ignored, the default order stays.
    assert sorted(ids(ordering="candidate__description")) == sorted([done.pk, implementing.pk])


def test_the_project_list_and_page_are_a_fixed_number_of_queries(
    congress, implementing, django_assert_max_num_queries
):
    for year in range(2001, 2011):
        cycle = make_cycle(congress, year=year, phase=Phase.IMPLEMENTING, candidates=1)
        make_project(cycle)
    with django_assert_max_num_queries(2):
        assert APIClient().get(PROJECTS).json()["count"] == 11
    with django_assert_max_num_queries(5):
        assert APIClient().get(project_url(implementing.pk)).status_code == 200


def test_the_public_reads_are_read_only(implementing, admin_user):
    client = client_for(admin_user)
    assert client.post(PROJECTS, {}, format="json").status_code == 405
    assert client.delete(project_url(implementing.pk)).status_code == 405
    assert client.post(CYCLES, {}, format="json").status_code == 405
