"""The ballot services: phases, frozen rules, the margin, casting, paper tallies and
the count, run-offs and the satisfaction vote."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tests.factories import CongressFactory, make_cycle, make_user
from votes import services
from votes.models import (
    Ballot,
    BallotCycle,
    Candidate,
    NegativeListItem,
    Phase,
    Proposal,
    RollEntry,
    Round,
    RulesFrozen,
)


@pytest.fixture(autouse=True)
def _english():
    # The messages are matched in English here; the pages' tests check the Chinese.
    with translation.override("en"):
        yield


def cast_all(round_, deputies, marks_for):
    """Each deputy casts ``marks_for(index)`` ({candidate number: choice})."""
    by_number = {c.number: c.pk for c in round_.candidates.all()}
    receipts = []
    for index, deputy in enumerate(deputies):
        marks = {str(by_number[n]): choice for n, choice in marks_for(index).items()}
        receipts.append(services.ballot_cast(round_=round_, deputy=deputy, marks=marks))
    return receipts


def test_whole_cycle_from_vote_to_evaluation(cycle, voters, county_clerk):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    # Candidates 1 and 2 get 5 votes, 3 gets 4, 4 none: the threshold is 3 of 5.
    cast_all(
        round_,
        voters,
        lambda i: {1: "for", 2: "for", 3: "for" if i < 4 else "against", 4: "abstain"},
    )
    services.round_close(round_=round_, by=county_clerk)
    counted = services.round_count(round_=round_, by=county_clerk)
    assert counted.threshold == 3 and not counted.tie
    selected = set(
        Candidate.objects.filter(cycle=cycle, selected=True).values_list("number", flat=True)
    )
    assert selected == {1, 2, 3}
    services.results_publish(cycle=cycle, by=county_clerk)
    projects = services.implementation_start(cycle=cycle, by=county_clerk)
    assert len(projects) == 3
    satisfaction = services.satisfaction_open(cycle=cycle, by=county_clerk)
    cast_all(
        satisfaction, voters, lambda i: {1: "satisfied", 2: "basically_satisfied", 3: "unsatisfied"}
    )
    services.round_close(round_=satisfaction, by=county_clerk)
    services.round_count(round_=satisfaction, by=county_clerk)
    services.evaluation_publish(cycle=cycle, by=county_clerk)
    cycle.refresh_from_db()
    assert cycle.phase == Phase.EVALUATED
    rates = {r.candidate.number: r.rate for r in satisfaction.results.select_related("candidate")}
    assert rates[1] == 100 and rates[2] == 100 and rates[3] == 0


def test_rules_are_frozen_once_voting_opens(cycle, county_clerk):
    services.voting_open(cycle=cycle, by=county_clerk)
    cycle = BallotCycle.objects.get(pk=cycle.pk)
    cycle.places = 2
    with pytest.raises(RulesFrozen, match="frozen"):
        cycle.save()
    candidate = cycle.candidates.first()
    candidate.title = "改名"
    with pytest.raises(RulesFrozen):
        candidate.save()


def test_voting_cannot_open_with_fewer_candidates_than_the_margin(cycle, county_clerk):
    cycle.candidates.order_by("-number").first().delete()
    with pytest.raises(ValidationError, match="at least 4 candidates"):
        services.voting_open(cycle=cycle, by=county_clerk)
    assert not Round.objects.exists()


def marks_of(round_, choices):
    """{candidate id: choice} from choices listed in ballot order."""
    ids = [c.pk for c in round_.candidates.order_by("number")]
    return {str(pk): choice for pk, choice in zip(ids, choices, strict=True)}


def test_a_ballot_with_more_for_marks_than_places_is_refused_and_nothing_is_stored(
    cycle, voters, county_clerk
):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    with pytest.raises(ValidationError, match="only 3 can be selected"):
        services.ballot_cast(round_=round_, deputy=voters[0], marks=marks_of(round_, ["for"] * 4))
    assert not RollEntry.objects.exists() and not Ballot.objects.exists()


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ({}, "empty"),
        ([], "empty"),
        ("for", "empty"),
        ({"999999": "for"}, "not a candidate"),
        ({"<script>": "for"}, "not a candidate"),
        ({"1 OR 1=1": "for"}, "not a candidate"),
    ],
)
def test_malformed_ballots_are_refused_with_a_reason(cycle, voters, county_clerk, marks, message):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    with pytest.raises(ValidationError, match=message):
        services.ballot_cast(round_=round_, deputy=voters[0], marks=marks)
    assert not RollEntry.objects.exists()


def test_every_candidate_must_be_marked_with_a_known_choice(cycle, voters, county_clerk):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    partial = dict(list(marks_of(round_, ["for", "against", "abstain", "for"]).items())[:3])
    with pytest.raises(ValidationError, match="no mark for: 候选项目4"):
        services.ballot_cast(round_=round_, deputy=voters[0], marks=partial)
    wrong = marks_of(round_, ["for", "against", "abstain", "yes"])
    with pytest.raises(ValidationError, match="must be one of"):
        services.ballot_cast(round_=round_, deputy=voters[0], marks=wrong)
    assert not RollEntry.objects.exists()


def test_a_deputy_votes_once(cycle, voters, county_clerk):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    marks = marks_of(round_, ["for", "for", "against", "abstain"])
    receipt = services.ballot_cast(round_=round_, deputy=voters[0], marks=marks)
    assert len(receipt) == 10
    with pytest.raises(services.AlreadyVoted):
        services.ballot_cast(round_=round_, deputy=voters[0], marks=marks)
    assert RollEntry.objects.count() == Ballot.objects.count() == 1


def test_a_deputy_of_another_congress_may_not_vote(cycle, outsider, county_clerk):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    with pytest.raises(services.NotEligible):
        services.ballot_cast(
            round_=round_, deputy=outsider, marks=marks_of(round_, ["for"] * 3 + ["against"])
        )
    with pytest.raises(services.NotEligible):
        services.ballot_cast(round_=round_, deputy=None, marks={})


def test_an_inactive_seat_may_not_vote(cycle, voters, county_clerk):
    voters[0].memberships.update(is_active=False)
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    assert round_.electorate == 4
    with pytest.raises(services.NotEligible):
        services.ballot_cast(round_=round_, deputy=voters[0], marks=marks_of(round_, ["for"] * 4))


def test_no_ballot_goes_in_after_the_round_closed(cycle, voters, county_clerk):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    services.round_close(round_=round_, by=county_clerk)
    with pytest.raises(services.VotingClosed):
        services.ballot_cast(
            round_=round_,
            deputy=voters[0],
            marks=marks_of(round_, ["for", "for", "for", "against"]),
        )
    with pytest.raises(ValidationError, match="not open"):
        services.round_close(round_=round_, by=county_clerk)


def test_a_round_is_counted_only_after_it_closed_and_only_once(cycle, county_clerk):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    with pytest.raises(ValidationError, match="Close the round"):
        services.round_count(round_=round_, by=county_clerk)
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    with pytest.raises(ValidationError, match="counted already"):
        services.round_count(round_=round_, by=county_clerk)


def test_casting_awards_the_ballot_points_once(cycle, voters, county_clerk, hengyang_county):
    from stations.models import PointEntry, PointKind
    from tests.factories import make_rule_for_points

    make_rule_for_points(hengyang_county, PointKind.BALLOT_CAST, 2)
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    services.ballot_cast(
        round_=round_, deputy=voters[0], marks=marks_of(round_, ["for"] * 3 + ["abstain"])
    )
    entries = PointEntry.objects.filter(deputy=voters[0], kind=PointKind.BALLOT_CAST)
    assert [e.points for e in entries] == [2]


# --- Paper tallies ------------------------------------------------------------------------


@pytest.fixture
def amy(hengyang_county):
    return make_user("amy", role="office", region=hengyang_county)


def paper(round_, rows):
    """Tally lines from {number: (for, against, abstain)}."""
    ids = {c.number: c.pk for c in round_.candidates.all()}
    return {
        (ids[number], choice): count
        for number, counts in rows.items()
        for choice, count in zip(("for", "against", "abstain"), counts, strict=True)
    }


GOOD = {1: (3, 1, 0), 2: (2, 2, 0), 3: (1, 2, 1), 4: (0, 4, 0)}


def test_paper_tallies_count_only_when_two_people_agree(cycle, voters, county_clerk, amy):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    # Deputies 0-1 vote electronically; the other 3 present voted on paper (+1 spoiled).
    for deputy in voters[:1]:
        services.ballot_cast(
            round_=round_, deputy=deputy, marks=marks_of(round_, ["for", "for", "for", "against"])
        )
    services.round_close(round_=round_, by=county_clerk)
    first = services.tally_enter(
        round_=round_, by=county_clerk, issued=4, returned=4, invalid=0, lines=paper(round_, GOOD)
    )
    assert first.entries == 1 and not first.agreed
    with pytest.raises(ValidationError, match="two independent entries"):
        services.round_count(round_=round_, by=county_clerk)
    typo = dict(GOOD) | {2: (1, 3, 0)}
    second = services.tally_enter(
        round_=round_, by=amy, issued=4, returned=4, invalid=0, lines=paper(round_, typo)
    )
    assert not second.agreed
    assert len(second.differences) == 2
    assert all(item.startswith("候选项目2 · ") for item in second.differences)
    with pytest.raises(ValidationError):
        services.round_count(round_=round_, by=county_clerk)
    # A third person cannot add an entry; Amy corrects hers.
    carl = make_user("carl", role="office", region=cycle.congress.region)
    with pytest.raises(ValidationError, match="Two people"):
        services.tally_enter(
            round_=round_, by=carl, issued=4, returned=4, invalid=0, lines=paper(round_, GOOD)
        )
    fixed = services.tally_enter(
        round_=round_, by=amy, issued=4, returned=4, invalid=0, lines=paper(round_, GOOD)
    )
    assert fixed.agreed
    counted = services.round_count(round_=round_, by=county_clerk)
    results = {r.candidate.number: r.counts for r in counted.results.select_related("candidate")}
    assert results[1] == {"for": 4, "against": 1, "abstain": 0}
    assert results[4] == {"for": 0, "against": 5, "abstain": 0}
    assert counted.electronic_ballots == 1 and counted.paper_valid == 4


@pytest.mark.parametrize(
    ("issued", "returned", "invalid", "rows", "message"),
    [
        (3, 4, 0, GOOD, "More ballots returned than issued"),
        (4, 4, 5, GOOD, "More invalid ballots"),
        (4, 4, 0, GOOD | {3: (1, 1, 1)}, "add up to 3, but there are 4 valid"),
        (4, 4, 0, {1: (3, 1, 0)}, "every candidate and every choice"),
        (
            4,
            4,
            0,
            {1: (4, 0, 0), 2: (4, 0, 0), 3: (4, 0, 0), 4: (4, 0, 0)},
            "cannot come from 4 valid",
        ),
    ],
)
def test_inconsistent_paper_tallies_are_refused(
    cycle, county_clerk, issued, returned, invalid, rows, message
):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    with pytest.raises(ValidationError, match=message):
        services.tally_enter(
            round_=round_,
            by=county_clerk,
            issued=issued,
            returned=returned,
            invalid=invalid,
            lines=paper(round_, rows),
        )
    assert not round_.tally_sheets.exists()


def test_more_ballots_than_deputies_stops_the_count(cycle, voters, county_clerk, amy):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    services.ballot_cast(
        round_=round_, deputy=voters[0], marks=marks_of(round_, ["for", "for", "for", "against"])
    )
    services.round_close(round_=round_, by=county_clerk)
    five = {1: (5, 0, 0), 2: (0, 5, 0), 3: (0, 0, 5), 4: (0, 5, 0)}
    for clerk in (county_clerk, amy):
        services.tally_enter(
            round_=round_, by=clerk, issued=5, returned=5, invalid=0, lines=paper(round_, five)
        )
    with pytest.raises(ValidationError, match="6 ballots for 5 deputies"):
        services.round_count(round_=round_, by=county_clerk)


# --- Threshold bases and ties -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("basis", "attending", "threshold", "selected"),
    [
        # 5 deputies; 3 vote electronically: candidate 1 has 3, 2 has 2, 3 has 2, 4 has 0.
        ("all", 0, 3, {1}),  # more than half of 5
        ("present", 4, 3, {1}),  # more than half of 4 present
        ("valid", 0, 2, {1, 2, 3}),  # more than half of 3 ballots
    ],
)
def test_each_threshold_basis(
    congress, voters, county_clerk, basis, attending, threshold, selected
):
    cycle = make_cycle(congress, places=3, candidates=4, threshold_basis=basis)
    services.attendance_set(cycle=cycle, deputies=voters[:attending], by=county_clerk)
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    ballots = [
        ["for", "for", "against", "abstain"],
        ["for", "against", "for", "abstain"],
        ["for", "for", "for", "against"],
    ]
    for deputy, choices in zip(voters, ballots, strict=False):
        services.ballot_cast(round_=round_, deputy=deputy, marks=marks_of(round_, choices))
    services.round_close(round_=round_, by=county_clerk)
    counted = services.round_count(round_=round_, by=county_clerk)
    assert counted.threshold == threshold
    assert (
        set(Candidate.objects.filter(cycle=cycle, selected=True).values_list("number", flat=True))
        == selected
    )


def test_present_basis_needs_attendance_for_paper_voters(congress, voters, county_clerk, amy):
    cycle = make_cycle(congress, places=3, candidates=4, threshold_basis="present")
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    services.round_close(round_=round_, by=county_clerk)
    for clerk in (county_clerk, amy):
        services.tally_enter(
            round_=round_, by=clerk, issued=4, returned=4, invalid=0, lines=paper(round_, GOOD)
        )
    with pytest.raises(ValidationError, match="record the attendance first"):
        services.round_count(round_=round_, by=county_clerk)


def test_a_tie_at_the_cut_line_goes_to_a_run_off_before_publication(congress, voters, county_clerk):
    cycle = make_cycle(
        congress, places=2, candidates=3, margin_ratio="0.5", threshold_basis="valid"
    )
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    # Three ballots {1,2}, {2,3}, {1,3}: each candidate has 2 of 3 valid ballots, all pass,
    # and three are level for two places.
    slates = [["for", "for", "against"], ["against", "for", "for"], ["for", "against", "for"]]
    for deputy, choices in zip(voters, slates, strict=False):
        services.ballot_cast(round_=round_, deputy=deputy, marks=marks_of(round_, choices))
    services.round_close(round_=round_, by=county_clerk)
    counted = services.round_count(round_=round_, by=county_clerk)
    assert counted.tie
    assert not Candidate.objects.filter(cycle=cycle, selected=True).exists()
    with pytest.raises(ValidationError, match="run-off"):
        services.results_publish(cycle=cycle, by=county_clerk)

    runoff = services.runoff_open(cycle=cycle, by=county_clerk)
    assert runoff.places == 2 and runoff.candidates.count() == 3
    runoff_ballots = [["for", "for", "against"]] * 3 + [["for", "against", "for"]] * 2
    for deputy, choices in zip(voters, runoff_ballots, strict=True):
        services.ballot_cast(round_=runoff, deputy=deputy, marks=marks_of(runoff, choices))
    services.round_close(round_=runoff, by=county_clerk)
    services.round_count(round_=runoff, by=county_clerk)
    selected = Candidate.objects.filter(cycle=cycle, selected=True)
    assert set(selected.values_list("number", flat=True)) == {1, 2}
    services.results_publish(cycle=cycle, by=county_clerk)
    cycle.refresh_from_db()
    assert cycle.phase == Phase.PUBLISHED


def test_proposals_are_collected_screened_and_become_candidates(congress, voters, county_clerk):
    cycle = make_cycle(congress, places=1, candidates=0, phase=Phase.COLLECTING)
    submit = services.proposal_submit
    idea = submit(
        cycle=cycle, source="public", title="村道安装路灯", content="晚上出门有路不敢走。"
    )
    mine = submit(
        cycle=cycle, source="deputy", deputy=voters[0], title="垃圾压缩站", content="建一座。"
    )
    hall = submit(
        cycle=cycle,
        source="department",
        department_name="镇政府",
        title="新建办公楼",
        content="扩建镇政府办公楼。",
    )
    listed = NegativeListItem.objects.create(text="楼堂馆所建设")
    passes = {"public_benefit": True, "feasible": True, "affordable": True}
    with pytest.raises(ValidationError, match="negative list"):
        services.proposal_screen(
            proposal=hall, accept=True, negative_items=[listed], by=county_clerk, **passes
        )
    with pytest.raises(ValidationError):
        services.proposal_screen(proposal=hall, accept=False, by=county_clerk)
    services.proposal_screen(proposal=hall, accept=False, negative_items=[listed], by=county_clerk)
    with pytest.raises(ValidationError, match="public benefit"):
        services.proposal_screen(
            proposal=idea, accept=True, by=county_clerk, **(passes | {"feasible": False})
        )
    for proposal in (idea, mine):
        services.proposal_screen(proposal=proposal, accept=True, by=county_clerk, **passes)
    cycle = services.cycle_move(cycle=cycle, to=Phase.SCREENING, by=county_clerk)
    with pytest.raises(ValidationError, match="not collecting"):
        submit(cycle=cycle, source="public", title="迟到的提议", content="……")
    details = {
        "investment": Decimal("80"),
        "responsible_unit": "镇政府",
        "planned_completion": dt.date(2027, 10, 1),
        "by": county_clerk,
    }
    for proposal in (idea, mine):
        services.candidate_from_proposals(
            cycle=cycle,
            proposals=[proposal],
            title=proposal.title,
            description=proposal.content,
            **details,
        )
    with pytest.raises(ValidationError, match="Only accepted proposals"):
        services.candidate_from_proposals(
            cycle=cycle, proposals=[hall], title="办公楼", description="…", **details
        )
    services.cycle_move(cycle=cycle, to=Phase.CANDIDATES, by=county_clerk)
    assert Proposal.objects.filter(candidate__isnull=False).count() == 2
    assert [c.number for c in cycle.candidates.order_by("number")] == [1, 2]


def test_a_deputy_of_another_congress_cannot_propose(congress, outsider):
    cycle = make_cycle(congress, candidates=0, phase=Phase.COLLECTING)
    with pytest.raises(services.NotEligible):
        services.proposal_submit(
            cycle=cycle, source="deputy", deputy=outsider, title="x", content="y"
        )


def test_cycles_are_for_county_and_township_congresses(hengyang):
    city = CongressFactory(region=hengyang, level="city", name="衡阳市人民代表大会")
    cycle = BallotCycle(congress=city, year=2027, title="市级", places=5)
    with pytest.raises(ValidationError, match="county and township"):
        cycle.full_clean()


@pytest.mark.parametrize(
    ("title", "content", "message"),
    [
        ("", "内容", "This field cannot be blank"),
        ("路灯", "", "This field cannot be blank"),
        ("长" * 101, "内容", "at most 100"),
        ("路灯", "长" * 2001, "at most 2000"),
    ],
)
def test_bad_proposals_are_refused_and_nothing_is_stored(congress, title, content, message):
    cycle = make_cycle(congress, candidates=0, phase=Phase.COLLECTING)
    with pytest.raises(ValidationError, match=message):
        services.proposal_submit(cycle=cycle, source="public", title=title, content=content)
    assert not Proposal.objects.exists()


def test_hostile_text_in_a_proposal_is_stored_verbatim(congress):
    cycle = make_cycle(congress, candidates=0, phase=Phase.COLLECTING)
    text = "<script>alert(1)</script>'; DROP TABLE votes_proposal; --"
    proposal = services.proposal_submit(cycle=cycle, source="public", title="路灯", content=text)
    assert Proposal.objects.get(pk=proposal.pk).content == text


def test_a_copy_loaded_before_voting_opened_cannot_change_or_unfreeze_the_rules(
    cycle, county_clerk
):
    stale = BallotCycle.objects.get(pk=cycle.pk)
    stale_candidate = Candidate.objects.select_related("cycle").get(cycle=cycle, number=1)
    services.voting_open(cycle=cycle, by=county_clerk)
    stale.places = 1
    with pytest.raises(RulesFrozen):
        stale.save()
    stale.places = cycle.places
    with pytest.raises(RulesFrozen, match="stay frozen"):
        stale.save()  # would write rules_frozen_at back to empty
    stale_candidate.title = "改名"
    with pytest.raises(RulesFrozen):
        stale_candidate.save()
    with pytest.raises(RulesFrozen):
        stale_candidate.delete()
    fresh = BallotCycle.objects.get(pk=cycle.pk)
    assert fresh.is_frozen and fresh.places == 3


def test_a_margin_of_zero_is_refused_and_there_is_always_one_candidate_more(congress):
    from django.db import IntegrityError, transaction

    cycle = BallotCycle(congress=congress, year=2030, title="等额", places=3, margin_ratio=0)
    with pytest.raises(ValidationError, match="margin_ratio"):
        cycle.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        cycle.save()
    small = BallotCycle(congress=congress, year=2031, title="差额", places=3, margin_ratio="0.01")
    assert small.required_candidates == 4


def test_a_proposal_cannot_land_after_the_list_closed_even_from_an_old_page(congress, county_clerk):
    cycle = make_cycle(congress, places=1, candidates=2, phase=Phase.COLLECTING)
    stale = BallotCycle.objects.get(pk=cycle.pk)
    services.cycle_move(cycle=cycle, to=Phase.SCREENING, by=county_clerk)
    with pytest.raises(ValidationError, match="not collecting"):
        services.proposal_submit(cycle=stale, source="public", title="迟到", content="……")
    assert not Proposal.objects.exists()


def test_run_off_winners_are_ranked_by_the_run_off(congress, voters, county_clerk):
    cycle = make_cycle(
        congress, places=2, candidates=3, margin_ratio="0.5", threshold_basis="valid"
    )
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    slates = [["for", "for", "against"], ["against", "for", "for"], ["for", "against", "for"]]
    for deputy, choices in zip(voters, slates, strict=False):
        services.ballot_cast(round_=round_, deputy=deputy, marks=marks_of(round_, choices))
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    runoff = services.runoff_open(cycle=cycle, by=county_clerk)
    # Candidate 3 gets 5, candidate 2 gets 3, candidate 1 gets 2.
    ballots = [["against", "for", "for"]] * 3 + [["for", "against", "for"]] * 2
    for deputy, choices in zip(voters, ballots, strict=True):
        services.ballot_cast(round_=runoff, deputy=deputy, marks=marks_of(runoff, choices))
    services.round_close(round_=runoff, by=county_clerk)
    services.round_count(round_=runoff, by=county_clerk)
    ranks = dict(cycle.candidates.values_list("number", "final_rank"))
    assert ranks == {3: 1, 2: 2, 1: 3}
    assert set(cycle.candidates.filter(selected=True).values_list("number", flat=True)) == {2, 3}


def test_the_paper_double_entry_leaves_an_audit_trail_without_figures(cycle, county_clerk, amy):
    from votes.models import CycleEvent

    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    services.round_close(round_=round_, by=county_clerk)
    lines = paper(round_, GOOD)
    services.tally_enter(
        round_=round_, by=county_clerk, issued=4, returned=4, invalid=0, lines=lines
    )
    services.tally_enter(
        round_=round_,
        by=amy,
        issued=4,
        returned=4,
        invalid=0,
        lines=paper(round_, GOOD | {2: (1, 3, 0)}),
    )
    services.tally_enter(round_=round_, by=amy, issued=4, returned=4, invalid=0, lines=lines)
    texts = list(
        CycleEvent.objects.filter(kind__startswith="tally")
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert len(texts) == 4
    assert "corrected" in texts[2] and "accepted" in texts[3]
    assert not any(ch.isdigit() for text in texts for ch in text.replace("round 1", ""))
