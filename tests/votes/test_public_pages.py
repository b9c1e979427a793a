"""The public ballot pages: the cycles, a cycle by phase (call, candidates, results,
receipts, satisfaction), the proposal form and a project's progress page.

No account is needed. Counts must not appear before the office publishes them; each page
is a fixed number of queries at any size.
"""

import datetime as dt
import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from liaison.models import User
from stations.models import DeputyGroup
from tests.factories import CongressFactory, make_cycle, make_voters
from votes import services
from votes.models import (
    Inspection,
    Milestone,
    Phase,
    ProgressReport,
    Project,
    ProjectPhoto,
    Proposal,
)

SQL = "x'); DROP TABLE votes_proposal; --"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def clerk(county_clerk) -> User:
    return county_clerk


def cast_all(round_, deputies, marks_for) -> list[str]:
    """Each deputy casts ``marks_for(index, number)`` for every candidate."""
    candidates = list(round_.candidates.all())
    return [
        services.ballot_cast(
            round_=round_,
            deputy=deputy,
            marks={str(c.pk): marks_for(index, c.number) for c in candidates},
        )
        for index, deputy in enumerate(deputies)
    ]


def selection(places):
    """Everyone votes for the first ``places`` candidates: no tie, all pass."""
    return lambda index, number: "for" if number <= places else "against"


def counted_cycle(cycle, deputies, clerk) -> list[str]:
    """Open, cast, close and count the selection vote; return the receipts."""
    round_ = services.voting_open(cycle=cycle, by=clerk)
    receipts = cast_all(round_, deputies, selection(cycle.places))
    services.round_close(round_=round_, by=clerk)
    services.round_count(round_=round_, by=clerk)
    return receipts


def evaluated_cycle(cycle, deputies, clerk, *, extras: int = 1) -> dict:
    """A cycle through to the published satisfaction vote, each project with ``extras``
    milestones, reports, photos and inspections."""
    receipts = counted_cycle(cycle, deputies, clerk)
    services.results_publish(cycle=cycle, by=clerk)
    projects = services.implementation_start(cycle=cycle, by=clerk)
    group = DeputyGroup.objects.create(
        name=f"第{cycle.pk}代表小组", region=cycle.congress.region, congress=cycle.congress
    )
    group.members.set(deputies[:2])
    for project in projects:
        project.supervising_group = group
        project.progress = 40
        project.save()
        add_tracking(project, extras)
    satisfaction = services.satisfaction_open(cycle=cycle, by=clerk)
    sat_receipts = cast_all(satisfaction, deputies, lambda index, number: "satisfied")
    services.round_close(round_=satisfaction, by=clerk)
    services.round_count(round_=satisfaction, by=clerk)
    services.evaluation_publish(cycle=cycle, by=clerk)
    return {"receipts": receipts, "satisfaction": sat_receipts, "projects": projects}


def add_tracking(project, count: int) -> None:
    start = dt.date(2027, 3, 1)
    for n in range(count):
        Milestone.objects.create(
            project=project, title=f"节点{n}", due_date=start + dt.timedelta(days=n), progress=50
        )
        ProgressReport.objects.create(
            project=project,
            reported_on=start + dt.timedelta(days=n),
            progress=n % 100,
            spent=n,
            note=f"第{n}次进度报告",
        )
        ProjectPhoto.objects.create(
            project=project, image=f"projects/2027/03/p{project.pk}-{n}.jpg", caption=f"照片{n}"
        )
        Inspection.objects.create(
            project=project,
            kind=Inspection.Kind.SPOT,
            inspected_on=start + dt.timedelta(days=n),
            finding=Inspection.Finding.ON_TRACK,
            report=f"第{n}次视察：现场查看，进度符合计划。",
        )


def response_threshold(html: str) -> str:
    return re.search(r"不少于(\d+)张赞成票", html).group(1)


def page(client, url: str, status: int = 200, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == status
    return response.content.decode()


def cycle_url(cycle) -> str:
    return reverse("votes:cycle", args=[cycle.pk])


def propose_url(cycle) -> str:
    return reverse("votes:propose", args=[cycle.pk])


# --- The cycles ------------------------------------------------------------------------


def test_the_cycle_list_shows_congress_year_and_phase_in_chinese(client, cycle):
    html = page(client, reverse("votes:cycles"))
    assert 'lang="zh-Hans"' in html
    assert "<h1>民生实事票决</h1>" in html
    assert cycle.title in html and "衡阳县人民代表大会" in html and "2027" in html
    with translation.override("zh-hans"):
        assert str(Phase.CANDIDATES.label) in html  # the phase, as the catalogue says it


def test_the_cycle_list_filters_by_region_code(client, cycle, other_congress):
    other = make_cycle(other_congress, title="衡南县2027年民生实事项目票决")
    html = page(client, reverse("votes:cycles"), region="430421000000")
    assert cycle.title in html and other.title not in html
    html = page(client, reverse("votes:cycles"), region="430422")  # significant digits
    assert other.title in html and cycle.title not in html


@pytest.mark.parametrize("bad", ["abc", "4304'; --", "<script>", "1234567890123", "4"])
def test_a_malformed_region_code_gets_an_error_not_a_crash(client, cycle, bad):
    response = client.get(reverse("votes:cycles"), {"region": bad})
    assert response.status_code == 200
    assert response.context["region_error"]
    assert cycle.title in response.content.decode()  # unfiltered
    assert "<script>" not in response.content.decode().split("<main")[1].split("</main>")[0]


def test_the_cycle_list_runs_a_bounded_number_of_queries(
    client, congress, other_congress, django_assert_max_num_queries
):
    make_cycle(congress, candidates=1, places=1)
    with django_assert_max_num_queries(3):
        page(client, reverse("votes:cycles"))
    for year in range(2000, 2020):
        make_cycle(other_congress, candidates=0, places=1, year=year, title=f"{year}年票决")
    with django_assert_max_num_queries(3):
        page(client, reverse("votes:cycles"))


# --- A cycle by phase ------------------------------------------------------------------


def test_a_collecting_cycle_calls_for_proposals_with_a_link_to_the_form(client, congress):
    cycle = make_cycle(congress, candidates=0, phase=Phase.COLLECTING)
    html = page(client, cycle_url(cycle))
    assert "征集民生实事项目建议" in html
    assert f'href="{propose_url(cycle)}"' in html


def test_the_candidate_list_shows_each_candidates_details(client, cycle):
    html = page(client, cycle_url(cycle))
    assert '<h2 id="candidates-title">候选项目</h2>' in html
    for candidate in cycle.candidates.all():
        assert candidate.title in html and candidate.description in html
    assert "100万元" in html and "400万元" in html
    assert "县交通运输局" in html and "2027-12-31" in html


def test_no_count_appears_before_the_results_are_published(client, cycle, voters, clerk):
    receipts = counted_cycle(cycle, voters, clerk)
    cycle.refresh_from_db()
    assert cycle.phase == Phase.COUNTED
    response = client.get(cycle_url(cycle), {"receipt": receipts[0]})
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["rounds"] == [] and response.context["receipts"] == []
    assert '<table class="results"' not in html and '<ul class="round-facts"' not in html
    assert not any(receipt in html.replace(receipts[0], "", 1) for receipt in receipts[1:])
    assert 'id="receipts"' not in html
    assert 'class="badge badge-done"' not in html  # nor who was selected
    assert "计票已完成" in html


def test_published_results_show_counts_threshold_and_receipts(client, cycle, voters, clerk):
    receipts = counted_cycle(cycle, voters, clerk)
    services.results_publish(cycle=cycle, by=clerk)
    html = page(client, cycle_url(cycle))
    assert "票决结果" in html
    # Candidates 1-3: 5 for, 0 against, 0 abstain; candidate 4: 0, 5, 0.
    rows = re.findall(r'<tr class="[^"]*">(.*?)</tr>', html, re.S)
    figures = [re.findall(r'<td class="n">(\d+)</td>', row) for row in rows]
    assert figures == [["1", "5", "0", "0"]] * 3 + [["4", "0", "5", "0"]]
    assert response_threshold(html) == "3"  # more than half of 5
    positions = [html.index(code) for code in sorted(receipts)]
    assert positions == sorted(positions)  # the codes, sorted


def test_the_receipt_search_never_sends_the_code_to_the_server(client, cycle, voters, clerk):
    # A deputy typing their receipt on a page they reach signed in would otherwise put
    # it in the access log beside their address: the search filters in the page only.
    receipts = counted_cycle(cycle, voters, clerk)
    services.results_publish(cycle=cycle, by=clerk)
    html = page(client, cycle_url(cycle))
    section = html[html.index('id="receipts"') :]
    assert "data-receipt-filter" in section
    search = section[: section.index("</div>")]
    assert "<form" not in search and "name=" not in search
    assert all(code in section for code in receipts)
    # A code in the query string is ignored, not looked up or echoed.
    echoed = client.get(cycle_url(cycle), {"receipt": SCRIPT}).content.decode()
    assert SCRIPT not in echoed


def test_satisfaction_results_wait_for_the_evaluation(client, cycle, voters, clerk):
    counted_cycle(cycle, voters, clerk)
    services.results_publish(cycle=cycle, by=clerk)
    services.implementation_start(cycle=cycle, by=clerk)
    satisfaction = services.satisfaction_open(cycle=cycle, by=clerk)
    sat_receipts = cast_all(satisfaction, voters, lambda index, number: "satisfied")
    services.round_close(round_=satisfaction, by=clerk)
    services.round_count(round_=satisfaction, by=clerk)
    html = page(client, cycle_url(cycle))
    assert "满意度测评结果" not in html and not any(code in html for code in sat_receipts)
    services.evaluation_publish(cycle=cycle, by=clerk)
    html = page(client, cycle_url(cycle))
    assert "满意度测评结果" in html and "100.00%" in html
    assert all(code in html for code in sat_receipts)


def test_the_cycle_page_links_each_project_to_its_progress_page(client, cycle, voters, clerk):
    data = evaluated_cycle(cycle, voters, clerk)
    html = page(client, cycle_url(cycle))
    for project in data["projects"]:
        assert f'href="{reverse("votes:project", args=[project.pk])}"' in html


def test_the_cycle_page_runs_a_bounded_number_of_queries(
    client, congress, voters, clerk, xidu, django_assert_max_num_queries
):
    small = make_cycle(congress, places=3, candidates=4)
    evaluated_cycle(small, voters, clerk)
    township = CongressFactory(region=xidu, level="township", name="西渡镇人民代表大会")
    large = make_cycle(township, places=10, candidates=12)
    evaluated_cycle(large, make_voters(township, 15, prefix="xidu"), clerk)
    for cycle in (small, large):
        with django_assert_max_num_queries(7):
            html = page(client, cycle_url(cycle))
        assert all(c.title in html for c in cycle.candidates.all())


def test_an_unknown_cycle_is_a_404(client, db):
    assert client.get(reverse("votes:cycle", args=[999999])).status_code == 404


# --- Proposals from the public ---------------------------------------------------------


@pytest.fixture
def collecting(congress):
    return make_cycle(congress, candidates=0, phase=Phase.COLLECTING)


def proposal_data(**overrides) -> dict:
    return {
        "title": "河堤路安装路灯",
        "content": "河堤路晚上没有路灯，\r\n老人孩子出行不安全。",
        "location": "西渡镇梅花村",
    } | overrides


def test_a_visitor_proposes_a_project_and_sees_the_receipt_once(client, collecting):
    response = client.post(propose_url(collecting), proposal_data())
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.source == Proposal.Source.PUBLIC and proposal.cycle == collecting
    assert proposal.content == "河堤路晚上没有路灯，\n老人孩子出行不安全。"
    assert proposal.submitted_by is None and proposal.deputy is None
    html = page(client, response["Location"])
    assert "河堤路安装路灯" in html and "感谢" in html
    # Shown once: a reload goes to the cycle page.
    again = client.get(response["Location"])
    assert again.status_code == 302 and again["Location"] == cycle_url(collecting)


def test_the_proposal_form_asks_for_no_personal_data(client, collecting):
    html = page(client, propose_url(collecting))
    assert "提出民生实事项目建议" in html
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))
    # submission_key: the one-time key against a double click (liaison.forms).
    assert names == {
        "csrfmiddlewaretoken",
        "submission_key",
        "title",
        "content",
        "location",
        "next",
        "language",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("content", ""),
        ("title", "   "),
        ("title", "长" * 101),
        ("content", "字" * 2001),
    ],
)
def test_an_empty_or_oversized_proposal_is_refused_and_nothing_stored(
    client, collecting, field, value
):
    response = client.post(propose_url(collecting), proposal_data(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "请检查以下内容" in response.content.decode()
    assert not Proposal.objects.exists()


def test_an_oversized_place_is_refused(client, collecting):
    response = client.post(propose_url(collecting), proposal_data(location="村" * 101))
    assert "location" in response.context["form"].errors
    assert not Proposal.objects.exists()


def test_script_tags_are_stored_as_typed_and_shown_escaped(client, collecting):
    response = client.post(propose_url(collecting), proposal_data(title=SCRIPT))
    assert Proposal.objects.get().title == SCRIPT
    html = page(client, response["Location"])
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_sql_looking_text_is_stored_verbatim(client, collecting):
    client.post(propose_url(collecting), proposal_data(title=SQL, content=SQL, location=SQL))
    proposal = Proposal.objects.get()
    assert proposal.title == proposal.content == proposal.location == SQL
    assert "votes_proposal" in connection.introspection.table_names()


def test_proposals_are_rate_limited_per_client(client, collecting, settings):
    settings.LIAISON_PROPOSAL_RATE = "2/h"
    for n in range(2):
        assert (
            client.post(propose_url(collecting), proposal_data(title=f"建议{n}")).status_code == 302
        )
    response = client.post(propose_url(collecting), proposal_data(title="第三条"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "操作过于频繁" in html and "第三条" in html  # what was typed is kept
    assert Proposal.objects.count() == 2


def test_a_closed_cycle_shows_a_message_instead_of_the_form(client, cycle):
    response = client.get(propose_url(cycle))
    html = response.content.decode()
    assert response.status_code == 200
    assert "已不再征集" in html and 'name="title"' not in html
    client.post(propose_url(cycle), proposal_data())
    assert not Proposal.objects.exists()


def test_proposals_close_after_the_collection_date(client, congress):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    cycle = make_cycle(congress, candidates=0, phase=Phase.COLLECTING, collect_until=yesterday)
    assert 'name="title"' not in page(client, propose_url(cycle))
    client.post(propose_url(cycle), proposal_data())
    assert not Proposal.objects.exists()


# --- A project's progress --------------------------------------------------------------


def test_the_progress_page_shows_status_budget_milestones_reports_photos_and_inspections(
    client, cycle, voters, clerk
):
    project = evaluated_cycle(cycle, voters, clerk, extras=2)["projects"][0]
    html = page(client, reverse("votes:project", args=[project.pk]))
    assert '<h2 id="progress-title">实施进度</h2>' in html
    assert 'aria-valuenow="40"' in html and "width: 40%" in html
    assert "100万元" in html  # budget
    assert "节点0" in html and "节点1" in html and "2027-03-01" in html
    assert "第1次进度报告" in html
    assert f"/media/projects/2027/03/p{project.pk}-0.jpg" in html
    assert project.supervising_group.name in html
    assert "第1次视察：现场查看，进度符合计划。" in html


def test_a_project_before_implementation_has_no_public_page(client, cycle, voters, clerk):
    counted_cycle(cycle, voters, clerk)
    services.results_publish(cycle=cycle, by=clerk)
    candidate = cycle.candidates.get(number=1)
    project = Project.objects.create(candidate=candidate, budget=candidate.investment)
    assert client.get(reverse("votes:project", args=[project.pk])).status_code == 404
    assert client.get(reverse("votes:project", args=[999999])).status_code == 404


def test_the_progress_page_runs_a_bounded_number_of_queries(
    client, congress, voters, clerk, django_assert_max_num_queries
):
    cycle = make_cycle(congress, places=3, candidates=4)
    projects = evaluated_cycle(cycle, voters, clerk, extras=1)["projects"]
    add_tracking(projects[1], 30)
    for project in projects[:2]:
        with django_assert_max_num_queries(5):
            page(client, reverse("votes:project", args=[project.pk]))
