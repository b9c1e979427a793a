"""The count against an independent reference count, on random ballots (hypothesis).

The reference below is written from the voting measure, not from votes/counting.py: a
passing candidate with ``h`` passing candidates strictly ahead and ``e`` level with it
(itself included) is selected when h + e ≤ places, out when h ≥ places, and otherwise
tied at the cut line. The property tests run the real services on PostgreSQL: random
electronic ballots, a random paper tally entered twice, random attendance, each
threshold basis, and a run-off whenever a tie comes up.
"""

import math
from collections import Counter

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.factories import CongressFactory, make_cycle, make_user, make_voters
from votes import counting, services
from votes.models import Attendance, Candidate, Round, ThresholdBasis


def reference(scores: dict[int, int], places: int, threshold: int | None):
    """(selected, tied) by the measure's words."""
    passing = {c: s for c, s in scores.items() if threshold is None or s >= threshold}
    selected, tied = set(), set()
    for candidate, score in passing.items():
        ahead = sum(1 for other in passing.values() if other > score)
        level = sum(1 for other in passing.values() if other == score)
        if ahead + level <= places:
            selected.add(candidate)
        elif ahead < places:
            tied.add(candidate)
    return selected, tied


@given(
    scores=st.dictionaries(st.integers(1, 30), st.integers(0, 12), min_size=1, max_size=12),
    places=st.integers(1, 8),
    threshold=st.one_of(st.none(), st.integers(0, 13)),
)
def test_decision_rule_matches_the_reference(scores, places, threshold):
    outcomes = counting.decide(scores, places=places, threshold=threshold)
    selected = {o.candidate_id for o in outcomes if o.selected}
    tied = {o.candidate_id for o in outcomes if o.tied}
    assert (selected, tied) == reference(scores, places, threshold)
    assert len(selected) <= places
    # A tie is never settled silently: when there is one, the tied fill more than the
    # places left and nobody below the line is selected.
    if tied:
        assert len(selected) + len(tied) > places
        assert min(scores[c] for c in selected | tied) == min(scores[c] for c in tied)


def test_threshold_is_more_than_half():
    assert [counting.threshold_for(n) for n in (0, 1, 2, 3, 4, 5, 100, 101)] == [
        1,
        1,
        2,
        2,
        3,
        3,
        51,
        51,
    ]


def test_a_tie_at_the_cut_line_is_flagged_not_settled():
    # Places 2: A has 9, B and C 7 each — one place left for two candidates.
    outcomes = {
        o.candidate_id: o for o in counting.decide({1: 9, 2: 7, 3: 7}, places=2, threshold=5)
    }
    assert outcomes[1].selected and not outcomes[1].tied
    assert outcomes[2].tied and outcomes[3].tied
    assert not outcomes[2].selected and not outcomes[3].selected
    assert outcomes[2].rank == outcomes[3].rank == 2


# --- The whole count on PostgreSQL ------------------------------------------------------

POOL = 9  # deputies of the congress in every example

choice_names = ("for", "against", "abstain")


@st.composite
def elections(draw):
    places = draw(st.integers(1, 3))
    ratio = draw(st.sampled_from(["0.1", "0.2", "0.5"]))
    need = math.ceil(places * (1 + float(ratio)) - 1e-9)
    candidates = draw(st.integers(max(need, 2), need + 2))
    basis = draw(st.sampled_from([b.value for b in ThresholdBasis]))

    def ballot():
        # A valid ballot: at most ``places`` marks "for".
        return st.lists(
            st.sampled_from(choice_names), min_size=candidates, max_size=candidates
        ).filter(lambda marks: marks.count("for") <= places)

    # Deputies often vote alike: most ballots copy one of a few "slates", which is what
    # makes ties at the cut line common enough to test.
    def full_slate():
        # "for" exactly ``places`` candidates, the rest against or abstain.
        return st.permutations(range(candidates)).flatmap(
            lambda order: st.lists(
                st.sampled_from(("against", "abstain")), min_size=candidates, max_size=candidates
            ).map(
                lambda rest: [
                    ("for" if order.index(i) < places else rest[i]) for i in range(candidates)
                ]
            )
        )

    slates = draw(st.lists(st.one_of(full_slate(), ballot()), min_size=1, max_size=4))
    spread = places > 1 and draw(st.booleans())
    if spread:
        # Tie-prone: ``places + 1`` candidates, each slate leaving one of them out, so
        # voters spread evenly over the slates give them all the same score.
        group = draw(st.permutations(range(candidates)))[: places + 1]
        slates = [
            ["for" if (i in group and i != left_out) else "against" for i in range(candidates)]
            for left_out in group
        ]

    def cast():
        return st.one_of(st.sampled_from(slates), ballot())

    if spread:
        rounds = draw(st.integers(1, POOL // (places + 1)))
        electronic_voters = draw(st.permutations(range(POOL)))[: rounds * (places + 1)]
    else:
        electronic_voters = draw(st.lists(st.integers(0, POOL - 1), unique=True, max_size=POOL))
    electronic = [
        slates[i % len(slates)] if spread else draw(cast()) for i in range(len(electronic_voters))
    ]
    attendance = draw(st.lists(st.integers(0, POOL - 1), unique=True, max_size=POOL))
    present = len(set(attendance) | set(electronic_voters))
    room = POOL - len(electronic_voters)
    if basis == ThresholdBasis.PRESENT:
        room = min(room, present - len(electronic_voters))
    returned = draw(st.integers(0, max(room, 0)))
    invalid = draw(st.integers(0, returned))
    paper = [
        slates[(len(electronic) + i) % len(slates)] if spread else draw(cast())
        for i in range(returned - invalid)
    ]
    issued = returned + draw(st.integers(0, 2))
    return {
        "places": places,
        "ratio": ratio,
        "candidates": candidates,
        "basis": basis,
        "electronic_voters": electronic_voters,
        "electronic": electronic,
        "attendance": attendance,
        "paper": paper,
        "paper_counts": (issued, returned, invalid),
        "runoff_seed": draw(st.randoms(use_true_random=False)),
    }


def paper_lines(round_, ballots, by_number):
    counts = Counter()
    for marks in ballots:
        for number, choice in enumerate(marks, start=1):
            counts[(number, choice)] += 1
    return {
        (by_number[number], choice): counts[(number, choice)]
        for number in by_number
        for choice in choice_names
    }


@pytest.fixture
def pool(hengyang_county):
    congress = CongressFactory(region=hengyang_county, level="county", name="衡阳县人民代表大会")
    return (
        congress,
        make_voters(congress, POOL),
        make_user("alice", role="office", region=hengyang_county),
        make_user("amy", role="office", region=hengyang_county),
    )


@pytest.mark.postgres
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(
    # Three slates {1,2}, {2,3}, {1,3}: each candidate has 4 of 9, all pass on the valid
    # ballots (6), three candidates for two places.
    election={
        "places": 2,
        "ratio": "0.5",
        "candidates": 3,
        "basis": "valid",
        "electronic_voters": [0, 1, 2, 3, 4, 5],
        "electronic": [
            ["for", "for", "against"],
            ["against", "for", "for"],
            ["for", "against", "for"],
        ]
        * 2,
        "attendance": [],
        "paper": [],
        "paper_counts": (0, 0, 0),
        "runoff_seed": __import__("random").Random(5),
    }
)
@given(election=elections())
def test_count_matches_an_independent_count_of_random_ballots(pool, election):
    congress, deputies, alice, amy = pool
    with transaction.atomic():
        _run_election(congress, deputies, alice, amy, election)
        transaction.set_rollback(True)


def _run_election(congress, deputies, alice, amy, election):
    cycle = make_cycle(
        congress,
        places=election["places"],
        candidates=election["candidates"],
        margin_ratio=election["ratio"],
        threshold_basis=election["basis"],
    )
    by_number = {c.number: c.pk for c in cycle.candidates.all()}
    Attendance.objects.bulk_create(
        [Attendance(cycle=cycle, deputy=deputies[i]) for i in election["attendance"]]
    )
    round_ = services.voting_open(cycle=cycle, by=alice)
    for voter, marks in zip(election["electronic_voters"], election["electronic"], strict=True):
        services.ballot_cast(
            round_=round_,
            deputy=deputies[voter],
            marks={str(by_number[n]): choice for n, choice in enumerate(marks, start=1)},
        )
    services.round_close(round_=round_, by=alice)
    issued, returned, invalid = election["paper_counts"]
    if returned or issued:
        lines = paper_lines(round_, election["paper"], by_number)
        for clerk in (alice, amy):
            services.tally_enter(
                round_=round_,
                by=clerk,
                issued=issued,
                returned=returned,
                invalid=invalid,
                lines=lines,
            )
    counted = services.round_count(round_=round_, by=alice)

    from hypothesis import event

    event(f"tie={counted.tie} basis={election['basis']} paper={bool(returned)}")
    # The reference count, straight from the generated ballots.
    every_ballot = election["electronic"] + election["paper"]
    expected = {
        number: Counter(marks[number - 1] for marks in every_ballot) for number in by_number
    }
    present = len(set(election["attendance"]) | set(election["electronic_voters"]))
    basis_number = {
        "all": POOL,
        "present": present,
        "valid": len(election["electronic"]) + len(election["paper"]),
    }[election["basis"]]
    threshold = basis_number // 2 + 1
    scores = {number: expected[number]["for"] for number in by_number}
    want_selected, want_tied = reference(scores, election["places"], threshold)

    results = {r.candidate.number: r for r in counted.results.select_related("candidate")}
    for number in by_number:
        assert results[number].counts == {c: expected[number][c] for c in choice_names}
    assert counted.basis == basis_number and counted.threshold == threshold
    assert {n for n, r in results.items() if r.selected} == want_selected
    assert {n for n, r in results.items() if r.tied} == want_tied
    assert counted.tie == bool(want_tied)

    if want_tied:
        # The run-off among the tied, for the places left; ties again go round again.
        rng = election["runoff_seed"]
        chosen = set(want_selected)
        tied, left = want_tied, election["places"] - len(want_selected)
        for _attempt in range(4):
            runoff = services.runoff_open(cycle=cycle, by=alice)
            assert {c.number for c in runoff.candidates.all()} == tied
            assert runoff.places == left
            tallies = Counter()
            ordered = sorted(tied)
            for deputy in deputies:
                picks = set(rng.sample(ordered, k=rng.randint(0, left)))
                tallies.update(picks)
                services.ballot_cast(
                    round_=runoff,
                    deputy=deputy,
                    marks={str(by_number[n]): "for" if n in picks else "against" for n in ordered},
                )
            services.round_close(round_=runoff, by=alice)
            runoff = services.round_count(round_=runoff, by=alice)
            won, tied_again = reference({n: tallies[n] for n in ordered}, left, None)
            got = {r.candidate.number: r for r in runoff.results.select_related("candidate")}
            assert {n for n, r in got.items() if r.selected} == won
            assert {n for n, r in got.items() if r.tied} == tied_again
            chosen |= won
            if not tied_again:
                break
            tied, left = tied_again, left - len(won)
        final = set(
            Candidate.objects.filter(cycle=cycle, selected=True).values_list("number", flat=True)
        )
        assert final == chosen
        if not runoff.tie:
            services.results_publish(cycle=cycle, by=alice)
    else:
        services.results_publish(cycle=cycle, by=alice)
    assert Round.objects.filter(cycle=cycle, status=Round.Status.OPEN).count() == 0
