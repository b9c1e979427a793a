"""The office's side of ballot cycles in the admin, tried from the outside.

Alice is the Hengyang county clerk; the county congress has five deputies with accounts
(``voters``). The step buttons walk a cycle through its phases by calling the services;
deputies cast their ballots through the service (their own pages do that, not the
admin).
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from liaison.models import Notification
from tests.factories import CongressFactory, make_cycle, make_user
from votes import services, tracking
from votes.models import (
    Attendance,
    BallotCycle,
    Candidate,
    CycleEvent,
    Inspection,
    Milestone,
    NegativeListItem,
    Phase,
    ProgressReport,
    Project,
    Proposal,
    Round,
    RoundResult,
    TallySheet,
)

# Pages are checked by their English msgids, whatever the catalogue holds.
pytestmark = pytest.mark.usefixtures("english")


def change_url(cycle) -> str:
    return reverse("admin:votes_ballotcycle_change", args=[cycle.pk])


def step_url(cycle, step: str) -> str:
    return reverse("admin:votes_ballotcycle_step", args=[cycle.pk, step])


def tally_url(round_) -> str:
    return reverse("admin:votes_ballotcycle_tally", args=[round_.cycle_id, round_.pk])


def round_url(round_) -> str:
    return reverse("admin:votes_ballotcycle_round", args=[round_.cycle_id, round_.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def step(client, cycle, name: str, round_=None) -> list[str]:
    """Press a step button on the cycle's page; return the messages it left."""
    data = {"round": str(round_.pk)} if round_ is not None else {}
    response = client.post(step_url(cycle, name), data)
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == change_url(cycle)
    return messages_of(response)


def phase_of(cycle) -> str:
    return BallotCycle.objects.get(pk=cycle.pk).phase


def cast(round_, deputies, marks_by_voter):
    """Each deputy casts {candidate number: choice}."""
    by_number = {c.number: c.pk for c in round_.candidates.all()}
    for deputy, marks in zip(deputies, marks_by_voter, strict=True):
        services.ballot_cast(
            round_=round_,
            deputy=deputy,
            marks={str(by_number[n]): choice for n, choice in marks.items()},
        )


def open_round(cycle) -> Round:
    return Round.objects.get(cycle=cycle, status__in=["open", "closed"])


@pytest.fixture
def collecting(congress, voters):
    """A cycle still collecting, with 4 candidates for 3 places (the margin needs 4)."""
    return make_cycle(congress, places=3, candidates=4, phase=Phase.COLLECTING)


# --- The step buttons -------------------------------------------------------------------


def test_step_buttons_walk_a_cycle_from_collecting_to_evaluated_through_a_runoff(
    client, county_clerk, collecting, voters
):
    cycle = collecting
    client.force_login(county_clerk)
    assert "Done" not in client.get(change_url(cycle)).content.decode()

    step(client, cycle, "to_screening")
    assert phase_of(cycle) == Phase.SCREENING
    step(client, cycle, "to_collecting")
    assert phase_of(cycle) == Phase.COLLECTING
    step(client, cycle, "to_screening")
    step(client, cycle, "publish_candidates")
    assert phase_of(cycle) == Phase.CANDIDATES
    step(client, cycle, "back_to_screening")
    assert phase_of(cycle) == Phase.SCREENING
    step(client, cycle, "publish_candidates")
    step(client, cycle, "voting_open")
    assert phase_of(cycle) == Phase.VOTING
    assert BallotCycle.objects.get(pk=cycle.pk).is_frozen

    # Candidates 1 and 2 get 5 and 4 votes; 3 and 4 get 3 each at the cut line.
    selection = open_round(cycle)
    cast(
        selection,
        voters,
        [
            {1: "for", 2: "for", 3: "for", 4: "against"},
            {1: "for", 2: "for", 3: "for", 4: "against"},
            {1: "for", 2: "for", 3: "abstain", 4: "for"},
            {1: "for", 2: "for", 3: "against", 4: "for"},
            {1: "for", 2: "against", 3: "for", 4: "for"},
        ],
    )
    page = client.get(change_url(cycle)).content.decode()
    assert 'class="figure round-cast">5<' in page
    step(client, cycle, "round_close", selection)
    messages = step(client, cycle, "round_count", selection)
    assert any("tie at the cut line" in m for m in messages)
    assert phase_of(cycle) == Phase.COUNTED
    page = client.get(change_url(cycle)).content.decode()
    assert "Yes: a run-off must settle the remaining places" in page
    assert page.count('class="round-result"') == 4
    assert "Open a run-off among the tied candidates" in page
    # Publishing with the tie unsettled is refused with the service's reason.
    messages = step(client, cycle, "results_publish")
    assert any("must be settled by a run-off" in m for m in messages)
    assert phase_of(cycle) == Phase.COUNTED

    step(client, cycle, "runoff_open")
    runoff = open_round(cycle)
    assert runoff.kind == Round.Kind.RUNOFF and runoff.places == 1
    assert {c.number for c in runoff.candidates.all()} == {3, 4}
    cast(
        runoff,
        voters,
        [{3: "for", 4: "against"}] * 3 + [{3: "against", 4: "for"}] * 2,
    )
    step(client, cycle, "round_close", runoff)
    step(client, cycle, "round_count", runoff)
    assert not Round.objects.get(pk=runoff.pk).tie
    step(client, cycle, "results_publish")
    assert phase_of(cycle) == Phase.PUBLISHED
    assert set(
        Candidate.objects.filter(cycle=cycle, selected=True).values_list("number", flat=True)
    ) == {1, 2, 3}

    step(client, cycle, "implementation_start")
    assert phase_of(cycle) == Phase.IMPLEMENTING
    assert Project.objects.filter(candidate__cycle=cycle).count() == 3
    step(client, cycle, "satisfaction_open")
    satisfaction = open_round(cycle)
    cast(
        satisfaction,
        voters,
        [{1: "satisfied", 2: "basically_satisfied", 3: "unsatisfied"}] * 5,
    )
    step(client, cycle, "round_close", satisfaction)
    step(client, cycle, "round_count", satisfaction)
    step(client, cycle, "evaluation_publish")
    assert phase_of(cycle) == Phase.EVALUATED

    page = client.get(change_url(cycle)).content.decode()
    assert "Satisfaction results published." in page  # the event log
    assert CycleEvent.objects.filter(cycle=cycle, actor=county_clerk).count() >= 12
    assert "/step/" not in page  # nothing left to do


def test_a_refused_step_is_reported_as_an_error_message_not_a_server_error(
    client, county_clerk, congress, voters
):
    cycle = make_cycle(congress, places=3, candidates=3, phase=Phase.SCREENING)
    client.force_login(county_clerk)
    messages = step(client, cycle, "publish_candidates")
    assert any("at least 4 candidates" in m for m in messages)
    assert phase_of(cycle) == Phase.SCREENING
    page = client.get(change_url(cycle)).content.decode()
    assert "Not enough candidates" in page


def test_a_step_out_of_order_is_refused_with_the_services_reason(client, county_clerk, cycle):
    client.force_login(county_clerk)
    messages = step(client, cycle, "results_publish")
    assert any("cannot be done while the cycle is at" in m for m in messages)
    assert phase_of(cycle) == Phase.CANDIDATES


def test_a_step_needs_a_post(client, county_clerk, cycle):
    client.force_login(county_clerk)
    assert client.get(step_url(cycle, "voting_open")).status_code == 405
    assert phase_of(cycle) == Phase.CANDIDATES


def test_a_step_posted_without_the_csrf_token_is_refused(county_clerk, cycle):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(county_clerk)
    assert strict.post(step_url(cycle, "voting_open")).status_code == 403
    assert phase_of(cycle) == Phase.CANDIDATES


def test_an_unknown_step_is_a_404(client, county_clerk, cycle):
    client.force_login(county_clerk)
    assert client.post(step_url(cycle, "drop_tables")).status_code == 404


def test_a_round_step_for_a_round_of_another_cycle_is_a_404(
    client, county_clerk, cycle, other_congress
):
    other = make_cycle(other_congress, places=1, candidates=2)
    other_round = services.voting_open(cycle=other, by=None)
    services.voting_open(cycle=cycle, by=None)
    client.force_login(county_clerk)
    response = client.post(step_url(cycle, "round_close"), {"round": str(other_round.pk)})
    assert response.status_code == 404
    assert Round.objects.get(pk=other_round.pk).status == Round.Status.OPEN


@pytest.mark.parametrize("value", ["", "abc", "1 OR 1=1", "<script>"])
def test_a_round_step_with_a_malformed_round_is_refused(client, county_clerk, cycle, value):
    services.voting_open(cycle=cycle, by=None)
    client.force_login(county_clerk)
    response = client.post(step_url(cycle, "round_close"), {"round": value})
    assert response.status_code == 302
    assert "Choose the round." in messages_of(response)
    assert open_round(cycle).status == Round.Status.OPEN


# --- Frozen rules ---------------------------------------------------------------------


def cycle_form_data(cycle, **changes) -> dict:
    """What the cycle's page posts, as loaded before voting opened (rules editable)."""
    data = {
        "congress": str(cycle.congress_id),
        "year": str(cycle.year),
        "title": cycle.title,
        "session": cycle.session,
        "places": str(cycle.places),
        "margin_ratio": str(cycle.margin_ratio),
        "threshold_basis": cycle.threshold_basis,
        "tie_rule": cycle.tie_rule,
        "collect_until": "",
        "notes": cycle.notes,
        "candidates-TOTAL_FORMS": "0",
        "candidates-INITIAL_FORMS": "0",
        "candidates-MIN_NUM_FORMS": "0",
        "candidates-MAX_NUM_FORMS": "1000",
    }
    candidates = list(cycle.candidates.order_by("number"))
    data["candidates-TOTAL_FORMS"] = data["candidates-INITIAL_FORMS"] = str(len(candidates))
    for i, c in enumerate(candidates):
        data |= {
            f"candidates-{i}-id": str(c.pk),
            f"candidates-{i}-cycle": str(cycle.pk),
            f"candidates-{i}-number": str(c.number),
            f"candidates-{i}-title": c.title,
            f"candidates-{i}-description": c.description,
            f"candidates-{i}-location": c.location,
            f"candidates-{i}-investment": str(c.investment),
            f"candidates-{i}-responsible_unit": c.responsible_unit,
            f"candidates-{i}-planned_completion": c.planned_completion.isoformat(),
        }
    return data | changes


def test_rules_and_candidates_are_read_only_once_voting_opened(client, county_clerk, cycle):
    services.voting_open(cycle=cycle, by=county_clerk)
    client.force_login(county_clerk)
    response = client.get(change_url(cycle))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "places" not in form.fields and "margin_ratio" not in form.fields
    assert "title" in form.fields  # the name and notes may still be corrected
    candidates = response.context["inline_admin_formsets"][0]
    assert not candidates.has_change_permission and not candidates.has_add_permission
    assert "Frozen since voting opened" in response.content.decode()


def test_changing_a_rule_from_a_page_loaded_before_voting_opened_shows_the_models_error(
    client, county_clerk, cycle
):
    client.force_login(county_clerk)
    stale = cycle_form_data(cycle, places="2", threshold_basis="valid")
    services.voting_open(cycle=cycle, by=county_clerk)
    response = client.post(change_url(cycle), stale)
    assert response.status_code == 200
    page = response.content.decode()
    assert "the ballot rules are frozen and cannot be changed" in page
    assert "places" in page
    cycle = BallotCycle.objects.get(pk=cycle.pk)
    assert cycle.places == 3 and cycle.threshold_basis == "all"


def test_changing_a_candidate_from_a_page_loaded_before_voting_opened_shows_the_models_error(
    client, county_clerk, cycle
):
    client.force_login(county_clerk)
    stale = cycle_form_data(cycle, **{"candidates-0-title": "改过的名字"})
    services.voting_open(cycle=cycle, by=county_clerk)
    response = client.post(change_url(cycle), stale)
    assert response.status_code == 200
    assert "the candidate list is frozen and cannot be changed" in response.content.decode()
    assert not Candidate.objects.filter(title="改过的名字").exists()


def test_adding_a_candidate_after_voting_opened_shows_the_models_error(client, county_clerk, cycle):
    client.force_login(county_clerk)
    stale = cycle_form_data(cycle)
    stale |= {
        "candidates-TOTAL_FORMS": "5",
        "candidates-4-number": "5",
        "candidates-4-title": "新增项目",
        "candidates-4-description": "说明",
        "candidates-4-investment": "10",
        "candidates-4-responsible_unit": "县民政局",
        "candidates-4-planned_completion": "2027-12-31",
    }
    services.voting_open(cycle=cycle, by=county_clerk)
    response = client.post(change_url(cycle), stale)
    assert response.status_code == 200
    assert "the candidate list is frozen" in response.content.decode()
    assert cycle.candidates.count() == 4


def test_a_rule_change_racing_voting_open_is_refused_by_the_locked_check(rf, county_clerk, cycle):
    """The page was loaded, and the form built, before voting opened; the check after
    the row lock still sees the freeze."""
    from django.contrib import admin

    model_admin = admin.site._registry[BallotCycle]
    request = rf.post("/")
    request.user = county_clerk
    loaded = model_admin.get_object(request, str(cycle.pk))
    form_class = model_admin.get_form(request, loaded, change=True)
    assert "places" in form_class.base_fields  # editable: not frozen when loaded
    services.voting_open(cycle=cycle, by=county_clerk)
    form = form_class(cycle_form_data(cycle, places="5"), instance=loaded)
    assert not form.is_valid()
    assert "frozen" in " ".join(form.non_field_errors())


def test_after_voting_opened_the_title_can_still_be_corrected_and_the_phase_is_kept(
    client, county_clerk, cycle
):
    services.voting_open(cycle=cycle, by=county_clerk)
    client.force_login(county_clerk)
    data = {
        "title": "更正后的标题",
        "session": "第十八届人民代表大会第五次会议",
        "collect_until": "",
        "notes": "",
        "candidates-TOTAL_FORMS": "4",
        "candidates-INITIAL_FORMS": "4",
    }
    for i, c in enumerate(cycle.candidates.order_by("number")):
        data |= {f"candidates-{i}-id": str(c.pk), f"candidates-{i}-cycle": str(cycle.pk)}
    response = client.post(change_url(cycle), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    cycle = BallotCycle.objects.get(pk=cycle.pk)
    assert cycle.title == "更正后的标题"
    assert cycle.phase == Phase.VOTING and cycle.is_frozen


def test_a_cycle_whose_voting_opened_cannot_be_deleted_even_by_an_administrator(
    client, admin_user, cycle
):
    services.voting_open(cycle=cycle, by=admin_user)
    client.force_login(admin_user)
    url = reverse("admin:votes_ballotcycle_delete", args=[cycle.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert BallotCycle.objects.filter(pk=cycle.pk).exists()


def test_the_changelist_has_no_bulk_delete(client, admin_user, cycle):
    client.force_login(admin_user)
    response = client.get(reverse("admin:votes_ballotcycle_changelist"))
    assert "delete_selected" not in response.content.decode()


def test_a_cycle_is_added_for_a_county_congress_and_refused_for_a_city_one(
    client, city_clerk, congress, hengyang
):
    city_congress = CongressFactory(region=hengyang, level="city", name="衡阳市人民代表大会")
    client.force_login(city_clerk)
    base = {
        "year": "2028",
        "title": "2028年民生实事项目票决",
        "session": "",
        "places": "10",
        "margin_ratio": "0.20",
        "threshold_basis": "all",
        "tie_rule": "runoff",
        "collect_until": "",
        "notes": "",
        "candidates-TOTAL_FORMS": "0",
        "candidates-INITIAL_FORMS": "0",
    }
    add = reverse("admin:votes_ballotcycle_add")
    refused = client.post(add, base | {"congress": str(city_congress.pk)})
    assert refused.status_code == 200
    assert not BallotCycle.objects.filter(congress=city_congress).exists()
    response = client.post(add, base | {"congress": str(congress.pk)})
    assert response.status_code == 302
    created = BallotCycle.objects.get(congress=congress, year=2028)
    assert created.phase == Phase.COLLECTING and created.required_candidates == 12


@pytest.mark.parametrize(
    ("field", "value"),
    [("places", "0"), ("places", "abc"), ("margin_ratio", "-1"), ("title", "x" * 101)],
)
def test_bad_rule_input_is_refused_on_the_form(client, county_clerk, cycle, field, value):
    client.force_login(county_clerk)
    response = client.post(change_url(cycle), cycle_form_data(cycle, **{field: value}))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert BallotCycle.objects.get(pk=cycle.pk).places == 3


def test_a_script_in_the_title_is_shown_escaped(client, county_clerk, cycle):
    client.force_login(county_clerk)
    response = client.post(
        change_url(cycle), cycle_form_data(cycle, title="<script>alert(1)</script>")
    )
    assert response.status_code == 302
    page = client.get(change_url(cycle)).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


# --- The cycle's page and the round page ----------------------------------------------


def test_the_cycle_page_shows_phase_required_candidates_and_the_event_log(
    client, county_clerk, cycle
):
    services.cycle_move(cycle=cycle, to=Phase.SCREENING, by=county_clerk)
    client.force_login(county_clerk)
    response = client.get(change_url(cycle))
    page = response.content.decode()
    assert "Screening proposals" in page
    assert "4 on the list; the margin requires at least 4 for 3 places." in page
    assert "Moved to “Screening proposals”." in page
    assert [s[0] for s in response.context["steps"]] == ["to_collecting", "publish_candidates"]


def test_the_round_page_shows_the_count_and_who_voted_by_name_never_how(
    client, county_clerk, cycle, voters
):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    cast(round_, voters[:2], [{1: "for", 2: "for", 3: "against", 4: "abstain"}] * 2)
    client.force_login(county_clerk)
    response = client.get(round_url(round_))
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 deputies have voted electronically" in page
    names = [d.name for d in response.context["voters"]]
    assert names == sorted(voters[i].name for i in range(2))
    assert voters[2].name not in page
    # Nothing of a ballot: no receipt, no mark.
    for receipt in round_.ballots.values_list("receipt", flat=True):
        assert receipt not in page


def test_attendance_is_recorded_on_its_page(client, county_clerk, cycle, voters):
    client.force_login(county_clerk)
    url = reverse("admin:votes_ballotcycle_attendance", args=[cycle.pk])
    page = client.get(url).content.decode()
    assert all(d.name in page for d in voters)
    response = client.post(url, {"deputies": [str(voters[0].pk), str(voters[1].pk)]})
    assert response.status_code == 302
    assert set(Attendance.objects.filter(cycle=cycle).values_list("deputy_id", flat=True)) == {
        voters[0].pk,
        voters[1].pk,
    }
    response = client.get(url)
    assert set(response.context["form"].initial["deputies"]) == {voters[0].pk, voters[1].pk}


@pytest.mark.parametrize("value", ["outsider", "999999", "abc", "<script>", "1; DROP TABLE x"])
def test_attendance_refuses_anyone_but_the_congresss_deputies(
    client, county_clerk, cycle, voters, outsider, value
):
    client.force_login(county_clerk)
    url = reverse("admin:votes_ballotcycle_attendance", args=[cycle.pk])
    posted = str(outsider.pk) if value == "outsider" else value
    response = client.post(url, {"deputies": [str(voters[0].pk), posted]})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Attendance.objects.exists()


def test_attendance_cannot_change_after_the_count(client, county_clerk, cycle, voters):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    cast(round_, voters, [{1: "for", 2: "for", 3: "for", 4: "against"}] * 5)
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    client.force_login(county_clerk)
    url = reverse("admin:votes_ballotcycle_attendance", args=[cycle.pk])
    response = client.post(url, {"deputies": [str(voters[0].pk)]})
    assert response.status_code == 200
    assert "attendance can no longer change" in response.content.decode()
    assert not Attendance.objects.exists()


# --- The paper tally (双人录入) ---------------------------------------------------------


@pytest.fixture
def second_clerk(hengyang_county):
    return make_user("ada", role="office", region=hengyang_county)


@pytest.fixture
def third_clerk(hengyang_county):
    return make_user("ann", role="office", region=hengyang_county)


@pytest.fixture
def closed_round(cycle, voters, county_clerk):
    """The selection round, closed with three electronic ballots."""
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    cast(round_, voters[:3], [{1: "for", 2: "for", 3: "against", 4: "abstain"}] * 3)
    services.round_close(round_=round_, by=county_clerk)
    return round_


def tally_data(round_, *, issued, returned, invalid, figures) -> dict:
    """The tally form's fields: ``figures`` is {candidate number: (for, against, abstain)}."""
    data = {"issued": str(issued), "returned": str(returned), "invalid": str(invalid)}
    for candidate in round_.candidates.all():
        for choice, count in zip(round_.choices, figures[candidate.number], strict=True):
            data[f"c{candidate.pk}_{choice}"] = str(count)
    return data


PAPER = {1: (2, 0, 0), 2: (1, 1, 0), 3: (0, 2, 0), 4: (0, 0, 2)}


def test_two_clerks_entering_the_same_figures_get_the_paper_tally_accepted(
    client, county_clerk, second_clerk, closed_round
):
    data = tally_data(closed_round, issued=2, returned=2, invalid=0, figures=PAPER)
    client.force_login(county_clerk)
    response = client.post(tally_url(closed_round), data)
    assert response.status_code == 302
    assert "Your entry is saved." in messages_of(response)
    assert not TallySheet.objects.filter(accepted=True).exists()

    client.force_login(second_clerk)
    page = client.get(tally_url(closed_round)).content.decode()
    assert "One person has entered the count; yours will be the second." in page
    response = client.post(tally_url(closed_round), data)
    assert any("Both entries agree" in m for m in messages_of(response))
    assert TallySheet.objects.filter(round=closed_round, accepted=True).count() == 2

    counted = services.round_count(round_=closed_round, by=county_clerk)
    assert counted.paper_valid == 2
    first = RoundResult.objects.get(round=counted, candidate__number=1)
    assert first.counts["for"] == 5  # 3 electronic + 2 paper


def _leaks(page: str, *figures: int) -> list[int]:
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return [f for f in figures if str(f) in page or f"{f:,}" in page]


def test_different_figures_are_not_accepted_and_neither_clerk_sees_the_others_numbers(
    client, county_clerk, second_clerk, closed_round
):
    # Figures nobody would type by chance, so a leak shows up in the page.
    alices = {1: (6011, 2630, 0), 2: (4000, 4641, 0), 3: (1000, 7641, 0), 4: (0, 0, 8641)}
    adas = alices | {1: (6012, 2629, 0)}
    client.force_login(county_clerk)
    client.post(
        tally_url(closed_round),
        tally_data(closed_round, issued=9173, returned=8641, invalid=0, figures=alices),
    )
    client.force_login(second_clerk)
    fresh = client.get(tally_url(closed_round))
    assert not fresh.context["form"].initial  # nothing of Alice's to copy
    assert _leaks(fresh.content.decode(), 6011, 2630, 9173, 8641) == []
    client.post(
        tally_url(closed_round),
        tally_data(closed_round, issued=9173, returned=8641, invalid=0, figures=adas),
    )
    assert not TallySheet.objects.filter(accepted=True).exists()

    ada_page = client.get(tally_url(closed_round)).content.decode()
    assert "The two entries differ." in ada_page
    differences = re.search(r'<ul class="tally-differences">(.*?)</ul>', ada_page, re.S)[1]
    assert "候选项目1 · For" in differences and "候选项目1 · Against" in differences
    assert "候选项目2" not in differences
    assert _leaks(ada_page, 6011, 2630) == []
    client.force_login(county_clerk)
    alice_page = client.get(tally_url(closed_round)).content.decode()
    assert "候选项目1 · For" in alice_page
    assert _leaks(alice_page, 6012, 2629) == []
    # The round's page says the same, without figures either.
    round_page = client.get(round_url(closed_round)).content.decode()
    assert "Paper tally: the two entries differ." in round_page
    assert _leaks(round_page, 6011, 6012, 2629, 2630) == []


def test_a_clerk_sees_and_corrects_their_own_entry(
    client, county_clerk, second_clerk, closed_round
):
    client.force_login(county_clerk)
    wrong = PAPER | {2: (0, 2, 0)}
    client.post(
        tally_url(closed_round),
        tally_data(closed_round, issued=2, returned=2, invalid=0, figures=wrong),
    )
    client.force_login(second_clerk)
    client.post(
        tally_url(closed_round),
        tally_data(closed_round, issued=2, returned=2, invalid=0, figures=PAPER),
    )
    client.force_login(county_clerk)
    response = client.get(tally_url(closed_round))
    candidate_2 = closed_round.candidates.get(number=2)
    assert response.context["form"].initial[f"c{candidate_2.pk}_for"] == 0
    assert response.context["has_own_entry"]
    client.post(
        tally_url(closed_round),
        tally_data(closed_round, issued=2, returned=2, invalid=0, figures=PAPER),
    )
    assert TallySheet.objects.filter(round=closed_round, accepted=True).count() == 2


def test_a_third_clerk_cannot_add_an_entry(
    client, county_clerk, second_clerk, third_clerk, closed_round
):
    data = tally_data(closed_round, issued=2, returned=2, invalid=0, figures=PAPER)
    for clerk in (county_clerk, second_clerk):
        client.force_login(clerk)
        client.post(tally_url(closed_round), data)
    client.force_login(third_clerk)
    response = client.post(tally_url(closed_round), data)
    assert response.status_code == 200
    assert "Two people have entered this count already" in response.content.decode()
    assert not TallySheet.objects.filter(entered_by=third_clerk).exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"issued": ""},
        {"issued": "-1"},
        {"returned": "100001"},
        {"invalid": "abc"},
        {"issued": "<script>alert(1)</script>"},
        {"returned": "1 OR 1=1"},
        {"issued": "1.5"},
    ],
)
def test_malformed_tally_figures_are_refused_and_nothing_is_stored(
    client, county_clerk, closed_round, bad
):
    client.force_login(county_clerk)
    data = tally_data(closed_round, issued=2, returned=2, invalid=0, figures=PAPER) | bad
    response = client.post(tally_url(closed_round), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "&lt;script&gt;" in response.content.decode() or "<script>alert" not in str(bad)
    assert not TallySheet.objects.exists()


def test_figures_that_do_not_add_up_are_refused_with_the_services_reason(
    client, county_clerk, closed_round
):
    client.force_login(county_clerk)
    data = tally_data(closed_round, issued=2, returned=3, invalid=0, figures=PAPER)
    response = client.post(tally_url(closed_round), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "More ballots returned than issued." in page
    assert "the figures add up to" in page
    assert not TallySheet.objects.exists()


def test_a_missing_candidate_figure_is_refused(client, county_clerk, closed_round):
    client.force_login(county_clerk)
    data = tally_data(closed_round, issued=2, returned=2, invalid=0, figures=PAPER)
    data.pop(next(key for key in data if key.startswith("c")))
    response = client.post(tally_url(closed_round), data)
    assert response.status_code == 200
    assert not TallySheet.objects.exists()


def test_a_counted_rounds_tally_is_final(client, county_clerk, closed_round):
    services.round_count(round_=closed_round, by=county_clerk)
    client.force_login(county_clerk)
    data = tally_data(closed_round, issued=2, returned=2, invalid=0, figures=PAPER)
    response = client.post(tally_url(closed_round), data)
    assert response.status_code == 200
    assert "its paper tally is final" in response.content.decode()
    assert not TallySheet.objects.exists()


# --- Proposals and screening ----------------------------------------------------------

PROPOSALS = "admin:votes_proposal_changelist"


def act(client, action, items, **data):
    payload = {"action": action, ACTION_CHECKBOX_NAME: [str(item.pk) for item in items]}
    if data:
        payload |= {"apply": "1", **data}
    return client.post(reverse(PROPOSALS), payload)


def proposal(cycle, title="修建村道", **extra) -> Proposal:
    return services.proposal_submit(
        cycle=cycle,
        source=extra.pop("source", Proposal.Source.PUBLIC),
        title=title,
        content=extra.pop("content", "村里的路坑坑洼洼，雨天无法通行。"),
        estimated_investment=extra.pop("estimated_investment", Decimal("50")),
        **extra,
    )


def test_staff_add_a_proposal_of_their_own_through_the_service(client, county_clerk, collecting):
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:votes_proposal_add"),
        {
            "cycle": str(collecting.pk),
            "source": "staff",
            "title": "新建农贸市场",
            "content": "镇上缺少规范的农贸市场。",
            "location": "西渡镇",
            "estimated_investment": "300",
            "department_name": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Proposal.objects.get(title="新建农贸市场")
    assert created.source == "staff" and created.submitted_by == county_clerk
    assert created.status == Proposal.Status.SUBMITTED


def test_a_departments_proposal_needs_the_departments_name(client, county_clerk, collecting):
    client.force_login(county_clerk)
    data = {
        "cycle": str(collecting.pk),
        "source": "department",
        "title": "改造老旧小区",
        "content": "老旧小区管网老化。",
        "department_name": "",
    }
    response = client.post(reverse("admin:votes_proposal_add"), data)
    assert response.status_code == 200
    assert "Name the department that proposes it." in response.content.decode()
    assert not Proposal.objects.exists()
    data["department_name"] = "县住房和城乡建设局"
    assert client.post(reverse("admin:votes_proposal_add"), data).status_code == 302
    assert Proposal.objects.get().department_name == "县住房和城乡建设局"


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"title": "x" * 101},
        {"content": "x" * 2001},
        {"estimated_investment": "-5"},
        {"estimated_investment": "1; DROP TABLE votes_proposal"},
        {"source": "deputy"},
        {"source": "public"},
    ],
)
def test_bad_proposal_input_is_refused_and_nothing_is_stored(client, county_clerk, collecting, bad):
    client.force_login(county_clerk)
    data = {
        "cycle": str(collecting.pk),
        "source": "staff",
        "title": "新建农贸市场",
        "content": "镇上缺少规范的农贸市场。",
    } | bad
    response = client.post(reverse("admin:votes_proposal_add"), data)
    assert response.status_code == 200
    assert not Proposal.objects.exists()


def test_a_proposal_cannot_be_added_to_a_cycle_past_screening(client, county_clerk, cycle):
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:votes_proposal_add"),
        {"cycle": str(cycle.pk), "source": "staff", "title": "晚到的提议", "content": "内容"},
    )
    assert response.status_code == 200
    assert not Proposal.objects.exists()


def test_a_script_in_a_proposal_is_shown_escaped(client, county_clerk, collecting):
    item = proposal(collecting, title="<script>alert(1)</script>")
    client.force_login(county_clerk)
    for url in (reverse(PROPOSALS), reverse("admin:votes_proposal_change", args=[item.pk])):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_proposal_page_is_read_only_with_the_screening_button(client, county_clerk, collecting):
    item = proposal(collecting)
    client.force_login(county_clerk)
    response = client.get(reverse("admin:votes_proposal_change", args=[item.pk]))
    assert not response.context["adminform"].form.fields
    assert response.context["proposal_actions"][0][0] == "screen_proposals"


def test_searching_proposals_by_title(client, county_clerk, collecting):
    proposal(collecting, title="修建村道")
    proposal(collecting, title="新建农贸市场")
    client.force_login(county_clerk)
    response = client.get(reverse(PROPOSALS), {"q": "农贸"})
    assert [p.title for p in response.context["cl"].result_list] == ["新建农贸市场"]


def test_accepting_needs_the_three_criteria(client, county_clerk, collecting):
    item = proposal(collecting)
    client.force_login(county_clerk)
    response = act(client, "screen_proposals", [item], decision="accept", public_benefit="on")
    assert response.status_code == 200
    assert "Accept only a proposal that is of public benefit" in response.content.decode()
    assert Proposal.objects.get(pk=item.pk).status == Proposal.Status.SUBMITTED

    response = act(
        client,
        "screen_proposals",
        [item],
        decision="accept",
        public_benefit="on",
        feasible="on",
        affordable="on",
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Proposal.Status.ACCEPTED and item.screened_by == county_clerk
    assert item.public_benefit and item.feasible and item.affordable


def test_rejecting_by_the_negative_list(client, county_clerk, collecting, hengyang_county, yunji):
    item = proposal(collecting)
    ours = NegativeListItem.objects.create(text="楼堂馆所建设", region=hengyang_county)
    everywhere = NegativeListItem.objects.create(text="竞争性领域项目")
    theirs = NegativeListItem.objects.create(text="他县条目", region=yunji)
    client.force_login(county_clerk)
    page = act(client, "screen_proposals", [item])
    offered = set(page.context["form"].fields["negative_items"].queryset)
    assert offered == {ours, everywhere}
    assert theirs not in offered
    response = act(client, "screen_proposals", [item], decision="reject")
    assert "Give the reason" in response.content.decode()
    response = act(
        client, "screen_proposals", [item], decision="reject", negative_items=[str(ours.pk)]
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == Proposal.Status.REJECTED
    assert list(item.negative_items.all()) == [ours]


def test_another_countys_negative_item_cannot_be_smuggled_into_a_screening(
    client, county_clerk, collecting, yunji
):
    item = proposal(collecting)
    theirs = NegativeListItem.objects.create(text="他县条目", region=yunji)
    client.force_login(county_clerk)
    response = act(
        client, "screen_proposals", [item], decision="reject", negative_items=[str(theirs.pk)]
    )
    assert response.status_code == 200
    assert Proposal.objects.get(pk=item.pk).status == Proposal.Status.SUBMITTED


def test_accepted_proposals_become_one_candidate(client, county_clerk, collecting):
    first, second = proposal(collecting, "修建村道"), proposal(collecting, "硬化村组道路")
    for item in (first, second):
        services.proposal_screen(
            proposal=item,
            accept=True,
            public_benefit=True,
            feasible=True,
            affordable=True,
            by=county_clerk,
        )
    client.force_login(county_clerk)
    page = act(client, "make_candidate", [first, second])
    assert page.status_code == 200
    assert page.context["form"].initial["investment"] == Decimal("100")
    response = act(
        client,
        "make_candidate",
        [first, second],
        title="村组道路硬化工程",
        description="硬化全镇村组道路30公里。",
        investment="120.5",
        responsible_unit="县交通运输局",
        planned_completion="2027-11-30",
        location="西渡镇",
    )
    assert response.status_code == 302
    candidate = Candidate.objects.get(cycle=collecting, title="村组道路硬化工程")
    assert candidate.number == 5 and candidate.investment == Decimal("120.50")
    assert set(candidate.proposals.all()) == {first, second}


def test_a_candidate_cannot_be_made_from_a_proposal_not_accepted(client, county_clerk, collecting):
    item = proposal(collecting)
    client.force_login(county_clerk)
    response = act(
        client,
        "make_candidate",
        [item],
        title="村道",
        description="说明",
        investment="10",
        responsible_unit="县交通运输局",
        planned_completion="2027-11-30",
    )
    assert response.status_code == 200
    assert "Only accepted proposals of this cycle can become candidates" in (
        response.content.decode()
    )
    assert collecting.candidates.count() == 4


def test_proposals_of_another_county_cannot_be_acted_on(
    client, county_clerk, other_congress, collecting
):
    theirs = proposal(make_cycle(other_congress, phase=Phase.COLLECTING), "他县提议")
    client.force_login(county_clerk)
    act(client, "screen_proposals", [theirs], decision="reject", reason="不行")
    assert Proposal.objects.get(pk=theirs.pk).status == Proposal.Status.SUBMITTED
    change = reverse("admin:votes_proposal_change", args=[theirs.pk])
    assert client.get(change).status_code == 404


# --- The negative list ------------------------------------------------------------------


@pytest.fixture
def negative(hengyang, hengyang_county, xidu, yunji):
    return {
        "everywhere": NegativeListItem.objects.create(text="竞争性领域项目"),
        "city": NegativeListItem.objects.create(text="市级条目", region=hengyang),
        "county": NegativeListItem.objects.create(text="县级条目", region=hengyang_county),
        "township": NegativeListItem.objects.create(text="镇级条目", region=xidu),
        "other": NegativeListItem.objects.create(text="他县条目", region=yunji),
    }


def negative_url(item) -> str:
    return reverse("admin:votes_negativelistitem_change", args=[item.pk])


def test_a_county_clerk_sees_the_items_that_apply_in_the_county(client, county_clerk, negative):
    client.force_login(county_clerk)
    response = client.get(reverse("admin:votes_negativelistitem_changelist"))
    listed = {item.text for item in response.context["cl"].result_list}
    assert listed == {"竞争性领域项目", "市级条目", "县级条目", "镇级条目"}
    assert client.get(negative_url(negative["other"])).status_code == 404


def test_a_county_clerk_edits_items_of_the_county_and_only_reads_the_others(
    client, county_clerk, negative, hengyang_county
):
    client.force_login(county_clerk)
    data = {"text": "县级条目（修订）", "region": hengyang_county.code, "sort_order": "1"}
    assert client.post(negative_url(negative["county"]), data).status_code == 302
    assert NegativeListItem.objects.get(pk=negative["county"].pk).text == "县级条目（修订）"
    for key in ("everywhere", "city"):
        response = client.get(negative_url(negative[key]))
        assert response.status_code == 200
        assert not response.context["has_change_permission"]
        post = client.post(negative_url(negative[key]), data | {"text": "改了"})
        assert post.status_code == 403
        assert NegativeListItem.objects.get(pk=negative[key].pk).text != "改了"


def test_only_the_province_or_an_administrator_adds_an_item_for_everywhere(
    client, county_clerk, admin_user, hunan
):
    add = reverse("admin:votes_negativelistitem_add")
    data = {"text": "新的全省条目", "region": "", "sort_order": "5", "is_active": "on"}
    client.force_login(county_clerk)
    response = client.post(add, data)
    assert response.status_code == 200
    assert "items for everywhere are kept by the provincial office" in response.content.decode()
    assert not NegativeListItem.objects.exists()
    province_clerk = make_user("pat", role="office", region=hunan)
    for user in (province_clerk, admin_user):
        client.force_login(user)
        assert client.post(add, data | {"text": f"条目{user.pk}"}).status_code == 302
    assert NegativeListItem.objects.filter(region__isnull=True).count() == 2


def test_a_county_clerk_cannot_place_an_item_in_another_county(client, county_clerk, yunji):
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:votes_negativelistitem_add"),
        {"text": "越权条目", "region": yunji.code, "sort_order": "5"},
    )
    assert response.status_code == 200
    assert not NegativeListItem.objects.exists()


# --- Projects ---------------------------------------------------------------------------


@pytest.fixture
def implementing(cycle, voters, county_clerk):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    cast(round_, voters, [{1: "for", 2: "for", 3: "for", 4: "against"}] * 5)
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    services.results_publish(cycle=cycle, by=county_clerk)
    services.implementation_start(cycle=cycle, by=county_clerk)
    return cycle


@pytest.fixture
def project(implementing) -> Project:
    return Project.objects.get(candidate__cycle=implementing, candidate__number=1)


@pytest.fixture
def group(congress, voters, hengyang_county):
    from stations.models import DeputyGroup

    group = DeputyGroup.objects.create(
        name="西渡代表小组", region=hengyang_county, congress=congress, leader=voters[0]
    )
    group.members.set(voters[:3])
    return group


def project_url(project) -> str:
    return reverse("admin:votes_project_change", args=[project.pk])


def test_a_progress_report_goes_through_the_tracking_service(client, county_clerk, project):
    client.force_login(county_clerk)
    url = reverse("admin:votes_project_report", args=[project.pk])
    today = timezone.localdate().isoformat()
    response = client.post(
        url, {"reported_on": today, "progress": "40", "spent": "30.5", "note": "路基完成。"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    project.refresh_from_db()
    assert project.progress == 40 and project.spent == Decimal("30.50")
    assert project.status == Project.Status.UNDERWAY
    assert ProgressReport.objects.get().created_by == county_clerk


@pytest.mark.parametrize(
    "bad",
    [
        {"note": "<script>alert(1)</script>"},
        {"note": ""},
        {"progress": "101"},
        {"progress": "abc"},
        {"spent": "-1"},
        {"reported_on": "2999-01-01"},
        {"reported_on": "'; DROP TABLE votes_project; --"},
    ],
)
def test_a_bad_progress_report_is_refused_on_the_form(client, county_clerk, project, bad):
    client.force_login(county_clerk)
    url = reverse("admin:votes_project_report", args=[project.pk])
    data = {
        "reported_on": timezone.localdate().isoformat(),
        "progress": "40",
        "spent": "30",
        "note": "路基完成。",
    } | bad
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ProgressReport.objects.exists()


def test_the_supervising_group_is_chosen_among_the_congresss_region_groups(
    client, county_clerk, project, group, yunji, xidu
):
    from stations.models import DeputyGroup

    township_group = DeputyGroup.objects.create(name="西渡镇小组", region=xidu)
    other = DeputyGroup.objects.create(name="云集代表小组", region=yunji)
    client.force_login(county_clerk)
    response = client.get(project_url(project))
    choices = set(response.context["adminform"].form.fields["supervising_group"].queryset)
    assert choices == {group, township_group}
    assert other not in choices


def test_an_inspection_submitted_by_deputies_is_shown_read_only(
    client, county_clerk, project, group, voters
):
    project.supervising_group = group
    project.save(update_fields=["supervising_group"])
    inspection = tracking.inspection_submit(
        project=project,
        kind=Inspection.Kind.PLAN,
        inspected_on=timezone.localdate(),
        finding=Inspection.Finding.ON_TRACK,
        report="计划可行。",
        deputies=voters[:2],
        by=voters[0].user,
    )
    client.force_login(county_clerk)
    response = client.get(project_url(project))
    inline = next(
        f for f in response.context["inline_admin_formsets"] if f.opts.model is Inspection
    )
    form = inline.formset.forms[0]
    assert form.instance == inspection
    fields = ("kind", "inspected_on", "finding", "report", "deputies")
    assert all(form.fields[name].disabled for name in fields)


def test_an_inspection_is_recorded_on_its_page_for_the_supervising_group(
    client, county_clerk, project, group, voters, outsider
):
    project.supervising_group = group
    project.save(update_fields=["supervising_group"])
    client.force_login(county_clerk)
    url = reverse("admin:votes_project_inspection", args=[project.pk])
    response = client.get(url)
    assert set(response.context["form"].fields["deputies"].queryset) == set(voters[:3])
    data = {
        "kind": "mid_year",
        "inspected_on": timezone.localdate().isoformat(),
        "finding": "serious",
        "report": "进度严重滞后。",
        "deputies": [str(voters[1].pk)],
    }
    assert client.post(url, data | {"deputies": [str(outsider.pk)]}).status_code == 200
    assert client.post(url, data | {"report": "<b>粗体</b>"}).status_code == 200
    assert not Inspection.objects.exists()
    assert client.post(url, data).status_code == 302
    assert Inspection.objects.get().submitted_by == county_clerk
    assert Notification.objects.filter(kind__contains="inspection").exists()


def test_milestone_progress_goes_through_the_tracking_service(client, county_clerk, project):
    milestone = Milestone.objects.create(
        project=project, title="完成招标", due_date=dt.date(2027, 3, 31)
    )
    client.force_login(county_clerk)
    page = client.get(project_url(project))
    data = {
        "plan": "",
        "supervising_group": "",
        "status": project.status,
        "budget": str(project.budget),
    }
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in ("TOTAL_FORMS", "INITIAL_FORMS"):
            data[f"{management.prefix}-{name}"] = str(management.initial[name])
        for _i, form in enumerate(formset.formset.initial_forms):
            data[f"{form.prefix}-id"] = str(form.instance.pk)
            data[f"{form.prefix}-project"] = str(project.pk)
    prefix = next(
        f.formset.prefix for f in page.context["inline_admin_formsets"] if f.opts.model is Milestone
    )
    data |= {
        f"{prefix}-0-title": "完成招标",
        f"{prefix}-0-due_date": "2027-03-31",
        f"{prefix}-0-progress": "100",
        f"{prefix}-0-completed_on": "",
    }
    response = client.post(project_url(project), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    milestone.refresh_from_db()
    assert milestone.progress == 100 and milestone.completed_on == timezone.localdate()

    data[f"{prefix}-0-progress"] = "50"
    data[f"{prefix}-0-completed_on"] = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(project_url(project), data)
    assert response.status_code == 200
    assert (
        "Only a milestone at full progress can have a completion date" in response.content.decode()
    )


def test_projects_cannot_be_added_by_hand(client, admin_user, implementing):
    client.force_login(admin_user)
    assert client.get(reverse("admin:votes_project_add")).status_code == 403


def test_a_projects_record_is_read_only_once_evaluated(client, county_clerk, implementing, voters):
    satisfaction = services.satisfaction_open(cycle=implementing, by=county_clerk)
    cast(satisfaction, voters, [{1: "satisfied", 2: "satisfied", 3: "satisfied"}] * 5)
    services.round_close(round_=satisfaction, by=county_clerk)
    services.round_count(round_=satisfaction, by=county_clerk)
    services.evaluation_publish(cycle=implementing, by=county_clerk)
    project = Project.objects.filter(candidate__cycle=implementing).first()
    client.force_login(county_clerk)
    response = client.get(project_url(project))
    assert "plan" not in response.context["adminform"].form.fields
    assert not response.context["tracking_open"]


# --- Query counts -------------------------------------------------------------------------


def _queries(client, url, django_assert_max_num_queries, limit) -> int:
    with django_assert_max_num_queries(limit) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_cycle_changelist_queries_do_not_grow_with_the_rows(
    client, county_clerk, hengyang_county, django_assert_max_num_queries
):
    client.force_login(county_clerk)
    url = reverse("admin:votes_ballotcycle_changelist")

    def add(years):
        for year in years:
            congress = CongressFactory(region=hengyang_county, term=f"第{year}届")
            make_cycle(congress, year=year, candidates=2)

    add(range(2020, 2022))
    few = _queries(client, url, django_assert_max_num_queries, 12)
    add(range(2022, 2028))
    assert _queries(client, url, django_assert_max_num_queries, 12) == few


def test_the_proposal_changelist_queries_do_not_grow_with_the_rows(
    client, county_clerk, collecting, django_assert_max_num_queries
):
    client.force_login(county_clerk)
    url = reverse(PROPOSALS)
    for i in range(2):
        proposal(collecting, f"提议{i}")
    few = _queries(client, url, django_assert_max_num_queries, 12)
    for i in range(2, 10):
        proposal(collecting, f"提议{i}")
    assert _queries(client, url, django_assert_max_num_queries, 12) == few


def test_the_negative_list_changelist_queries_do_not_grow_with_the_rows(
    client, county_clerk, hengyang_county, django_assert_max_num_queries
):
    client.force_login(county_clerk)
    url = reverse("admin:votes_negativelistitem_changelist")
    for i in range(2):
        NegativeListItem.objects.create(text=f"条目{i}", region=hengyang_county)
    few = _queries(client, url, django_assert_max_num_queries, 10)
    for i in range(2, 10):
        NegativeListItem.objects.create(text=f"条目{i}", region=hengyang_county)
    assert _queries(client, url, django_assert_max_num_queries, 10) == few


def test_the_project_and_result_changelists_queries_do_not_grow_with_the_rows(
    client, county_clerk, congress, voters, django_assert_max_num_queries
):
    client.force_login(county_clerk)
    urls = [
        reverse("admin:votes_project_changelist"),
        reverse("admin:votes_roundresult_changelist"),
    ]

    def implemented(year, candidates):
        cycle = make_cycle(congress, year=year, places=candidates - 1, candidates=candidates)
        round_ = services.voting_open(cycle=cycle, by=None)
        marks = dict.fromkeys(range(1, candidates), "for") | {candidates: "against"}
        cast(round_, voters, [marks] * 5)
        services.round_close(round_=round_, by=None)
        services.round_count(round_=round_, by=None)
        services.results_publish(cycle=cycle, by=None)
        services.implementation_start(cycle=cycle, by=None)

    implemented(2027, 2)
    few = [_queries(client, url, django_assert_max_num_queries, 12) for url in urls]
    implemented(2028, 5)
    implemented(2029, 4)
    assert [_queries(client, url, django_assert_max_num_queries, 12) for url in urls] == few


# --- More bad input, Chinese pages, the round page's queries ----------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"text": ""},
        {"text": "条" * 201},
        {"sort_order": "-1"},
        {"sort_order": "1 OR 1=1"},
        {"region": "430421' OR '1'='1"},
    ],
)
def test_bad_negative_list_input_is_refused_and_nothing_is_stored(
    client, county_clerk, hengyang_county, bad
):
    client.force_login(county_clerk)
    data = {"text": "楼堂馆所", "region": hengyang_county.code, "sort_order": "5"} | bad
    response = client.post(reverse("admin:votes_negativelistitem_add"), data)
    assert response.status_code == 200
    assert not NegativeListItem.objects.exists()


def test_a_script_in_a_negative_list_item_is_shown_escaped(client, county_clerk, hengyang_county):
    NegativeListItem.objects.create(text="<script>alert(1)</script>", region=hengyang_county)
    client.force_login(county_clerk)
    page = client.get(reverse("admin:votes_negativelistitem_changelist")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"title": "x" * 101},
        {"description": "x" * 2001},
        {"investment": "-1"},
        {"investment": "1e999"},
        {"planned_completion": "not a date"},
        {"responsible_unit": ""},
    ],
)
def test_bad_candidate_input_from_proposals_is_refused(client, county_clerk, collecting, bad):
    item = proposal(collecting)
    services.proposal_screen(
        proposal=item,
        accept=True,
        public_benefit=True,
        feasible=True,
        affordable=True,
        by=county_clerk,
    )
    client.force_login(county_clerk)
    data = {
        "title": "村道",
        "description": "说明",
        "investment": "10",
        "responsible_unit": "县交通运输局",
        "planned_completion": "2027-11-30",
    } | bad
    response = act(client, "make_candidate", [item], **data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert collecting.candidates.count() == 4


def test_an_oversized_screening_reason_is_refused(client, county_clerk, collecting):
    item = proposal(collecting)
    client.force_login(county_clerk)
    response = act(client, "screen_proposals", [item], decision="reject", reason="理" * 2001)
    assert response.status_code == 200
    assert Proposal.objects.get(pk=item.pk).status == Proposal.Status.SUBMITTED


def test_the_pages_render_in_chinese(client, settings, county_clerk, closed_round, voters):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(county_clerk)
    cycle = closed_round.cycle
    for url in (
        change_url(cycle),
        round_url(closed_round),
        tally_url(closed_round),
        reverse("admin:votes_ballotcycle_attendance", args=[cycle.pk]),
        reverse("admin:votes_ballotcycle_changelist"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-hans"' in response.content.decode()


def test_the_round_page_queries_do_not_grow_with_the_voters(
    client, county_clerk, congress, django_assert_max_num_queries
):
    from tests.factories import make_voters

    few = make_voters(congress, 2, prefix="few")
    cycle = make_cycle(congress, places=1, candidates=2)
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    client.force_login(county_clerk)

    def queries() -> int:
        with django_assert_max_num_queries(16) as captured:
            assert client.get(round_url(round_)).status_code == 200
        return len(captured)

    cast(round_, few, [{1: "for", 2: "against"}] * 2)
    before = queries()
    many = make_voters(congress, 6, prefix="many")
    Round.objects.filter(pk=round_.pk).update(electorate=8)
    cast(round_, many, [{1: "against", 2: "for"}] * 6)
    assert queries() == before
