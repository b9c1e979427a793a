"""The ballot services: phases, frozen rules, the margin, casting, paper tallies and
the count, run-offs and the satisfaction vote."""

import pytest
from django.core.exceptions import ValidationError

from votes import services
from votes.models import BallotCycle, Candidate, Phase, Round, RulesFrozen


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
    selected = set(Candidate.objects.filter(cycle=cycle, selected=True).values_list("number", flat=True))
    assert selected == {1, 2, 3}
    services.results_publish(cycle=cycle, by=county_clerk)
    projects = services.implementation_start(cycle=cycle, by=county_clerk)
    assert len(projects) == 3
    satisfaction = services.satisfaction_open(cycle=cycle, by=county_clerk)
    cast_all(satisfaction, voters, lambda i: {1: "satisfied", 2: "basically_satisfied", 3: "unsatisfied"})
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
