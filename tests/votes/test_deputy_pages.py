"""The deputy's ballot pages: the list of ballots, the secret ballot form and its
receipt, proposing a project, the supervised projects and their inspection reports, and
the "open ballots" panel of the deputy's home page.

Secrecy from the outside: the receipt is in the answer to the cast and nowhere else —
not in the session (which is stored with the user id), not in a redirect.
"""

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from stations.models import DeputyGroup
from tests.factories import make_cycle
from votes import services
from votes.models import Ballot, Inspection, Mark, Phase, Proposal, RollEntry, Round

SQL = "x'); DROP TABLE votes_mark; --"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def round_(cycle, county_clerk) -> Round:
    """The selection vote of the cycle: 4 candidates for 3 places, 5 voters."""
    return services.voting_open(cycle=cycle, by=county_clerk)


@pytest.fixture
def dep(client, voters):
    """The client, signed in as the first voter."""
    client.force_login(voters[0].user)
    return client


def url(round_) -> str:
    return reverse("votes:ballot", args=[round_.pk])


def marks(round_, choices: list[str]) -> dict[str, str]:
    """Form data: the candidates in ballot order get ``choices`` in turn."""
    candidates = round_.candidates.order_by("number")
    return {f"mark-{c.pk}": choice for c, choice in zip(candidates, choices, strict=False)}


VALID = ["for", "for", "against", "abstain"]


def nothing_stored() -> bool:
    return not (RollEntry.objects.exists() or Ballot.objects.exists() or Mark.objects.exists())


# --- Who may open the ballot -----------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, round_):
    for response in (client.get(url(round_)), client.post(url(round_), marks(round_, VALID))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert nothing_stored()


@pytest.mark.parametrize(
    "who", ["department_user", "deputy_user", "county_clerk", "township_clerk", "admin_user"]
)
def test_accounts_without_a_deputy_record_are_refused(client, request, round_, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(round_)).status_code == 403
    assert client.post(url(round_), marks(round_, VALID)).status_code == 403
    assert client.get(reverse("votes:deputy_ballots")).status_code == 403
    assert nothing_stored()


def test_a_deputy_of_another_congress_gets_403_and_casts_nothing(client, round_, outsider):
    client.force_login(outsider.user)
    response = client.get(url(round_))
    assert response.status_code == 403
    assert "只有本级人民代表大会的代表才能参加本次票决" in response.content.decode()
    assert client.post(url(round_), marks(round_, VALID)).status_code == 403
    assert nothing_stored()


def test_an_unknown_round_is_a_404(dep, db):
    assert dep.get(reverse("votes:ballot", args=[999999])).status_code == 404


# --- The ballot form -------------------------------------------------------------------


def test_the_ballot_lists_every_candidate_with_the_three_marks_and_the_limit(dep, round_):
    response = dep.get(url(round_))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>无记名投票</h1>" in html
    assert "赞成票最多只能投3个" in html
    for candidate in round_.candidates.all():
        assert candidate.title in html
        for choice in ("for", "against", "abstain"):
            assert f'name="mark-{candidate.pk}" value="{choice}"' in html
    assert "no-store" in response["Cache-Control"]


def test_casting_shows_the_receipt_once_and_keeps_it_out_of_the_session(dep, round_, voters):
    response = dep.post(url(round_), marks(round_, VALID))
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    assert "Location" not in response
    receipt = Ballot.objects.get().receipt
    html = response.content.decode()
    assert receipt in html and "您的回执码" in html
    assert RollEntry.objects.get().deputy == voters[0]
    assert Mark.objects.count() == 4
    # Not in the session the user id is stored with, decoded or raw, nor in a message.
    assert receipt not in repr(dict(dep.session.items()))
    for row in Session.objects.all():
        assert receipt not in row.session_data and receipt not in repr(row.get_decoded())
    assert not list(response.context["messages"])
    # And not on any later page.
    assert receipt not in dep.get(url(round_)).content.decode()
    assert receipt not in dep.get(reverse("votes:deputy_ballots")).content.decode()


def test_a_second_ballot_gets_the_already_voted_page_with_409(dep, round_):
    dep.post(url(round_), marks(round_, VALID))
    receipt = Ballot.objects.get().receipt
    response = dep.post(url(round_), marks(round_, ["against"] * 4))
    assert response.status_code == 409
    html = response.content.decode()
    assert "您已经投过票了" in html and receipt not in html
    assert RollEntry.objects.count() == 1 and Ballot.objects.count() == 1
    assert sorted(Mark.objects.values_list("choice", flat=True)) == sorted(VALID)
    assert dep.get(url(round_)).status_code == 200  # a GET only says so


def test_too_many_for_marks_are_refused_and_nothing_is_stored(dep, round_):
    response = dep.post(url(round_), marks(round_, ["for"] * 4))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "请检查以下内容" in response.content.decode()
    assert RollEntry.objects.count() == 0
    assert nothing_stored()


def test_a_ballot_missing_a_mark_is_refused_and_nothing_is_stored(dep, round_):
    response = dep.post(url(round_), marks(round_, ["for", "against", "abstain"]))
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert nothing_stored()
    response = dep.post(url(round_), {})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert nothing_stored()


@pytest.mark.parametrize("value", ["maybe", SQL, SCRIPT, "satisfied", "x" * 5000])
def test_a_malformed_mark_is_refused_escaped_and_nothing_is_stored(dep, round_, value):
    response = dep.post(url(round_), marks(round_, ["for", "against", "abstain", value]))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert SCRIPT not in response.content.decode()
    assert nothing_stored()


def test_a_closed_round_takes_no_ballot(dep, round_, county_clerk):
    services.round_close(round_=round_, by=county_clerk)
    assert "投票已结束" in dep.get(url(round_)).content.decode()
    response = dep.post(url(round_), marks(round_, VALID))
    assert response.status_code == 409
    assert nothing_stored()


def test_the_satisfaction_ballot_offers_the_three_ratings(dep, round_, voters, county_clerk):
    cycle = round_.cycle
    for deputy in voters:
        services.ballot_cast(
            round_=round_,
            deputy=deputy,
            marks={
                str(c.pk): "for" if c.number <= 3 else "against" for c in cycle.candidates.all()
            },
        )
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    services.results_publish(cycle=cycle, by=county_clerk)
    services.implementation_start(cycle=cycle, by=county_clerk)
    satisfaction = services.satisfaction_open(cycle=cycle, by=county_clerk)
    html = dep.get(url(satisfaction)).content.decode()
    assert 'value="basically_satisfied"' in html and "赞成票最多" not in html
    response = dep.post(
        url(satisfaction), marks(satisfaction, ["satisfied", "basically_satisfied", "unsatisfied"])
    )
    assert response.status_code == 201
    assert RollEntry.objects.filter(round=satisfaction).count() == 1


# --- The list and the home page --------------------------------------------------------


def test_the_ballot_list_says_voted_or_not_voted_yet(dep, round_, cycle):
    html = dep.get(reverse("votes:deputy_ballots")).content.decode()
    assert "<h1>我的票决</h1>" in html and cycle.title in html
    assert "尚未投票" in html and f'href="{url(round_)}"' in html
    dep.post(url(round_), marks(round_, VALID))
    html = dep.get(reverse("votes:deputy_ballots")).content.decode()
    assert "已投票" in html and "尚未投票" not in html


def test_the_deputy_home_page_shows_the_open_ballots_panel(dep, round_):
    response = dep.get(reverse("suggestions:deputy_home"))
    html = response.content.decode()
    assert "进行中的票决" in [str(panel.title) for panel in response.context["panels"]]
    assert f'href="{url(round_)}"' in html and f'href="{reverse("votes:deputy_ballots")}"' in html
    assert "尚未投票" in html
    dep.post(url(round_), marks(round_, VALID))
    assert "已投票" in dep.get(reverse("suggestions:deputy_home")).content.decode()


def test_the_panel_says_so_when_nothing_is_open(dep, cycle):
    html = dep.get(reverse("suggestions:deputy_home")).content.decode()
    assert "目前没有需要您投票的票决" in html


# --- A deputy proposes a project -------------------------------------------------------


@pytest.fixture
def collecting(congress, voters):
    return make_cycle(congress, candidates=0, phase=Phase.COLLECTING, year=2028)


def propose_url(cycle) -> str:
    return reverse("votes:deputy_propose", args=[cycle.pk])


def test_a_deputy_proposes_a_project_under_their_name(dep, collecting, voters):
    data = {
        "title": "村级卫生室改造",
        "content": "卫生室房屋老旧。",
        "estimated_investment": "35.5",
    }
    response = dep.post(propose_url(collecting), data)
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.source == Proposal.Source.DEPUTY and proposal.deputy == voters[0]
    assert str(proposal.estimated_investment) == "35.50"


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "content": "内容"},
        {"title": "长" * 101, "content": "内容"},
        {"title": "标题", "content": ""},
        {"title": "标题", "content": "内容", "estimated_investment": "-1"},
        {"title": "标题", "content": "内容", "estimated_investment": "abc"},
    ],
)
def test_a_bad_deputy_proposal_is_refused_and_nothing_stored(dep, collecting, data):
    response = dep.post(propose_url(collecting), data)
    assert response.status_code == 200 and response.context["form"].errors
    assert not Proposal.objects.exists()


def test_script_and_sql_in_a_deputy_proposal_are_stored_verbatim_and_escaped(dep, collecting):
    dep.post(propose_url(collecting), {"title": SCRIPT, "content": SQL})
    proposal = Proposal.objects.get()
    assert proposal.title == SCRIPT and proposal.content == SQL


def test_a_deputy_of_another_congress_cannot_propose(client, collecting, outsider):
    client.force_login(outsider.user)
    assert client.get(propose_url(collecting)).status_code == 403
    assert client.post(propose_url(collecting), {"title": "x", "content": "y"}).status_code == 403
    assert not Proposal.objects.exists()


def test_a_cycle_no_longer_collecting_shows_a_message_instead_of_the_form(dep, cycle):
    response = dep.get(propose_url(cycle))
    html = response.content.decode()
    assert "已不再征集" in html and 'name="title"' not in html
    dep.post(propose_url(cycle), {"title": "x", "content": "y"})
    assert not Proposal.objects.exists()


# --- Supervised projects and inspections -----------------------------------------------


@pytest.fixture
def project(cycle, voters, county_clerk):
    """Candidate 1, selected and being implemented, supervised by voters 0 and 1."""
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    for deputy in voters:
        services.ballot_cast(
            round_=round_,
            deputy=deputy,
            marks={
                str(c.pk): "for" if c.number <= 3 else "against" for c in cycle.candidates.all()
            },
        )
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    services.results_publish(cycle=cycle, by=county_clerk)
    project = services.implementation_start(cycle=cycle, by=county_clerk)[0]
    group = DeputyGroup.objects.create(
        name="第一代表小组", region=cycle.congress.region, congress=cycle.congress
    )
    group.members.set(voters[:2])
    project.supervising_group = group
    project.save()
    return project


def inspect_url(project) -> str:
    return reverse("votes:inspect", args=[project.pk])


def inspection_data(deputies, **overrides) -> dict:
    return {
        "kind": "mid_year",
        "inspected_on": f"{timezone.localdate():%Y-%m-%d}",
        "finding": "on_track",
        "report": "现场查看，工程进度符合计划。",
        "deputies": [d.pk for d in deputies],
    } | overrides


def test_a_deputy_sees_the_projects_their_group_supervises(dep, client, project, voters):
    html = dep.get(reverse("votes:deputy_projects")).content.decode()
    assert project.candidate.title in html and f'href="{inspect_url(project)}"' in html
    client.force_login(voters[2].user)
    html = client.get(reverse("votes:deputy_projects")).content.decode()
    assert project.candidate.title not in html


def test_a_group_member_reports_an_inspection(dep, project, voters):
    response = dep.post(inspect_url(project), inspection_data(voters[:2]))
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert inspection.kind == "mid_year" and inspection.submitted_by == voters[0].user
    assert set(inspection.deputies.all()) == set(voters[:2])


@pytest.mark.parametrize(
    "overrides",
    [
        {"report": ""},
        {"report": "字" * 2001},
        {"report": SCRIPT},
        {"kind": "nonsense"},
        {"finding": SQL},
        {"inspected_on": "2026-13-45"},
        {"inspected_on": "2999-01-01"},
    ],
)
def test_a_bad_inspection_report_is_refused_and_nothing_stored(dep, project, voters, overrides):
    response = dep.post(inspect_url(project), inspection_data(voters[:1], **overrides))
    assert response.status_code == 200 and response.context["form"].errors
    assert SCRIPT not in response.content.decode().split("<main")[1]
    assert not Inspection.objects.exists()


def test_a_deputy_outside_the_group_cannot_inspect(client, project, voters, outsider):
    for deputy in (voters[2], outsider):
        client.force_login(deputy.user)
        assert client.get(inspect_url(project)).status_code == 403
        assert client.post(inspect_url(project), inspection_data([deputy])).status_code == 403
    client.force_login(voters[0].user)
    response = client.post(inspect_url(project), inspection_data([voters[2]]))
    assert response.status_code == 200 and "deputies" in response.context["form"].errors
    assert not Inspection.objects.exists()
