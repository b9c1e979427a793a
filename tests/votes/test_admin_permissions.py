"""Who may do what with ballots in the admin, tried from the outside for each role.

Alice is the Hengyang county clerk, Bob the Hengnan county clerk next door, Tina a clerk
of Xidu township inside Alice's county, Carol a clerk of Hengyang city above both. Dan
handles a department and Dora is a deputy: neither works in the admin.

Ballots, marks and the roll have no admin at all, not even for an administrator.
"""

import pytest
from django.urls import NoReverseMatch, reverse

from tests.factories import CongressFactory, make_cycle
from votes import services
from votes.models import BallotCycle, Phase, Round

STEP_PAGES = ("change", "delete", "history")


@pytest.fixture
def cycles(congress, other_congress, xidu, voters):
    township = CongressFactory(region=xidu, level="township", name="西渡镇人民代表大会")
    return {
        "county": make_cycle(congress, title="衡阳县2027年票决"),
        "other": make_cycle(other_congress, title="衡南县2027年票决"),
        "township": make_cycle(township, title="西渡镇2027年票决"),
    }


@pytest.fixture
def rounds(cycles):
    """Voting open in every cycle."""
    return {key: services.voting_open(cycle=cycle, by=None) for key, cycle in cycles.items()}


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:votes_ballotcycle_{name}", args=args)


def cycle_pages(cycle, round_) -> list[str]:
    """Every page of one cycle that a clerk opens with GET."""
    return [
        *(admin_url(page, cycle.pk) for page in STEP_PAGES),
        admin_url("attendance", cycle.pk),
        admin_url("round", cycle.pk, round_.pk),
        admin_url("tally", cycle.pk, round_.pk),
    ]


def listed_titles(client) -> set[str]:
    response = client.get(admin_url("changelist"))
    assert response.status_code == 200
    return {cycle.title for cycle in response.context["cl"].result_list}


# --- Office staff by region -------------------------------------------------------------


def test_county_clerk_lists_the_countys_cycles_and_those_of_its_townships(
    client, county_clerk, cycles
):
    client.force_login(county_clerk)
    assert listed_titles(client) == {"衡阳县2027年票决", "西渡镇2027年票决"}


def test_county_clerk_opens_and_changes_own_county_cycle(client, county_clerk, cycles, rounds):
    client.force_login(county_clerk)
    for url in cycle_pages(cycles["county"], rounds["county"]):
        if "/delete/" in url:
            continue  # delete is an administrator's, and refused once voting opened
        assert client.get(url).status_code == 200, url
    response = client.post(
        admin_url("step", cycles["county"].pk, "round_close"), {"round": rounds["county"].pk}
    )
    assert response.status_code == 302
    assert Round.objects.get(pk=rounds["county"].pk).status == Round.Status.CLOSED


def test_other_county_clerk_gets_404_on_every_page_of_the_cycle_by_id(
    client, other_county_clerk, cycles, rounds
):
    client.force_login(other_county_clerk)
    for url in cycle_pages(cycles["county"], rounds["county"]):
        assert client.get(url).status_code == 404, url


def test_other_county_clerk_cannot_press_a_step_or_enter_a_tally_by_id(
    client, other_county_clerk, cycles, rounds
):
    client.force_login(other_county_clerk)
    cycle, round_ = cycles["county"], rounds["county"]
    assert (
        client.post(admin_url("step", cycle.pk, "round_close"), {"round": round_.pk}).status_code
        == 404
    )
    assert client.post(admin_url("tally", cycle.pk, round_.pk), {"issued": "1"}).status_code == 404
    assert client.post(admin_url("attendance", cycle.pk), {"deputies": []}).status_code == 404
    assert client.post(admin_url("change", cycle.pk), {"title": "改名"}).status_code == 404
    assert Round.objects.get(pk=round_.pk).status == Round.Status.OPEN
    assert BallotCycle.objects.get(pk=cycle.pk).title == "衡阳县2027年票决"


def test_a_round_of_another_countys_cycle_is_a_404_under_own_cycle(
    client, county_clerk, cycles, rounds
):
    client.force_login(county_clerk)
    for page in ("round", "tally"):
        url = admin_url(page, cycles["county"].pk, rounds["other"].pk)
        assert client.get(url).status_code == 404


def test_township_clerk_sees_only_the_townships_cycles(client, township_clerk, cycles, rounds):
    client.force_login(township_clerk)
    assert listed_titles(client) == {"西渡镇2027年票决"}
    for url in cycle_pages(cycles["county"], rounds["county"]):
        assert client.get(url).status_code == 404, url
    assert client.get(admin_url("change", cycles["township"].pk)).status_code == 200


def test_city_clerk_sees_every_cycle_below(client, city_clerk, cycles):
    client.force_login(city_clerk)
    assert listed_titles(client) == {"衡阳县2027年票决", "衡南县2027年票决", "西渡镇2027年票决"}


def test_superuser_sees_every_cycle(client, admin_user, cycles, rounds):
    client.force_login(admin_user)
    assert listed_titles(client) == {"衡阳县2027年票决", "衡南县2027年票决", "西渡镇2027年票决"}
    for url in cycle_pages(cycles["other"], rounds["other"]):
        if "/delete/" in url:
            continue
        assert client.get(url).status_code == 200, url


def test_clerks_may_not_delete_a_cycle_before_voting_either(client, county_clerk, cycles):
    client.force_login(county_clerk)
    assert client.get(admin_url("delete", cycles["county"].pk)).status_code == 403


# --- Roles that do not work in the admin ------------------------------------------------


@pytest.mark.parametrize("who", ["department_user", "deputy_user", "voter", "anonymous"])
def test_department_handlers_deputies_and_visitors_are_sent_to_the_admin_login(
    client, request, who, cycles, rounds, voters
):
    if who == "voter":
        client.force_login(voters[0].user)
    elif who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    cycle, round_ = cycles["county"], rounds["county"]
    for url in [admin_url("changelist"), *cycle_pages(cycle, round_)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    response = client.post(admin_url("step", cycle.pk, "round_close"), {"round": round_.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert Round.objects.get(pk=round_.pk).status == Round.Status.OPEN


@pytest.mark.parametrize(
    "model", ["proposal", "negativelistitem", "project", "roundresult", "ballotcycle"]
)
@pytest.mark.parametrize("who", ["department_user", "deputy_user"])
def test_no_votes_changelist_opens_for_department_handlers_or_deputies(client, request, who, model):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse(f"admin:votes_{model}_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_office_staff_see_the_ballots_app_on_the_admin_index(client, county_clerk):
    client.force_login(county_clerk)
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:votes_ballotcycle_changelist") in page


# --- Secrecy: no admin for ballots, marks, the roll or tally entries --------------------


@pytest.mark.parametrize(
    "model", ["ballot", "mark", "rollentry", "tallysheet", "tallyline", "attendance", "round"]
)
@pytest.mark.parametrize("page", ["changelist", "add"])
def test_ballots_marks_the_roll_and_tally_entries_have_no_admin_url(model, page):
    with pytest.raises(NoReverseMatch):
        reverse(f"admin:votes_{model}_{page}")


@pytest.mark.parametrize("model", ["ballot", "mark", "rollentry", "tallysheet"])
def test_not_even_a_superuser_browses_ballots_marks_or_the_roll(
    client, admin_user, rounds, voters, model
):
    round_ = rounds["county"]
    services.ballot_cast(
        round_=round_,
        deputy=voters[0],
        marks={str(c.pk): "for" if c.number == 1 else "abstain" for c in round_.candidates.all()},
    )
    client.force_login(admin_user)
    assert client.get(f"/admin/votes/{model}/").status_code == 404
    index = client.get(reverse("admin:app_list", args=["votes"])).content.decode()
    assert f"/admin/votes/{model}/" not in index


def test_round_results_are_read_only_even_for_a_superuser(
    client, admin_user, county_clerk, cycle, voters
):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    result = round_.results.first()
    for user in (county_clerk, admin_user):
        client.force_login(user)
        assert client.get(reverse("admin:votes_roundresult_changelist")).status_code == 200
        change = reverse("admin:votes_roundresult_change", args=[result.pk])
        assert client.post(change, {"score": "99"}).status_code == 403
        delete = reverse("admin:votes_roundresult_delete", args=[result.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:votes_roundresult_add")).status_code == 403
    result.refresh_from_db()
    assert result.score == 0


def test_other_county_clerk_does_not_see_the_county_s_results_or_projects(
    client, other_county_clerk, county_clerk, cycle, voters
):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    client.force_login(other_county_clerk)
    response = client.get(reverse("admin:votes_roundresult_changelist"))
    assert not list(response.context["cl"].result_list)
    result = round_.results.first()
    assert (
        client.get(reverse("admin:votes_roundresult_change", args=[result.pk])).status_code == 404
    )


def test_the_cycle_changelist_offers_no_phase_edits(client, county_clerk, cycle):
    client.force_login(county_clerk)
    response = client.get(admin_url("change", cycle.pk))
    assert "phase" not in response.context["adminform"].form.fields
    assert BallotCycle.objects.get(pk=cycle.pk).phase == Phase.CANDIDATES
