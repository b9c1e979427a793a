"""Ballots under real concurrency, on PostgreSQL (row locks, a UNIQUE roll, real
threads each on its own connection). SQLite serialises every write transaction, so
these tests would prove nothing there and are skipped.

THREADS workers start together at a ``threading.Barrier`` and share TASKS casts round
robin: the first cast of every worker races all the others, the rest follow as fast as
the database answers.
"""

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import make_cycle, make_voters
from votes import services
from votes.models import Ballot, Mark, RollEntry, Round

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 32  # PostgreSQL's default max_connections is 100: stay well below
TASKS = 200


def run_together(tasks: list[Callable], *, threads: int = THREADS) -> list:
    """Run ``tasks`` on ``threads`` threads released together; return each task's
    result, or the exception it raised, in the tasks' order."""
    assert len(tasks) >= threads
    results: list = [None] * len(tasks)
    start = threading.Barrier(threads)

    def worker(index: int) -> None:
        try:
            # Connect before the start line, so the casts race, not the logins.
            connection.ensure_connection()
            start.wait(timeout=60)
            for task in range(index, len(tasks), threads):
                try:
                    results[task] = tasks[task]()
                except Exception as exc:
                    results[task] = exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        for future in [pool.submit(worker, index) for index in range(threads)]:
            future.result()
    return results


def numbered(round_, marks: dict[int, str]) -> dict[str, str]:
    ids = {c.number: c.pk for c in round_.candidates.all()}
    return {str(ids[number]): choice for number, choice in marks.items()}


def test_two_hundred_concurrent_casts_by_one_deputy_leave_one_ballot(cycle, voters, county_clerk):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    marks = {"marks": numbered(round_, {1: "for", 2: "for", 3: "against", 4: "abstain"})}
    token = Token.objects.create(user=voters[0].user).key
    url = reverse("votes_api:cast", args=[cycle.pk])

    def cast():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.post(url, marks, format="json")

    responses = run_together([cast] * TASKS)

    assert not [r for r in responses if isinstance(r, Exception)]
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: TASKS - 1}
    assert RollEntry.objects.filter(round=round_, deputy=voters[0]).count() == 1
    assert RollEntry.objects.count() == 1
    [ballot] = Ballot.objects.all()
    [created] = [r for r in responses if r.status_code == 201]
    assert ballot.receipt == created.json()["receipt"]
    assert Mark.objects.filter(ballot=ballot).count() == 4
    assert Mark.objects.count() == 4


def test_two_hundred_concurrent_casts_by_one_deputy_through_the_service(
    cycle, voters, county_clerk
):
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    marks = numbered(round_, {1: "for", 2: "against", 3: "against", 4: "abstain"})

    def cast():
        return services.ballot_cast(round_=round_, deputy=voters[0], marks=marks)

    results = run_together([cast] * TASKS)

    receipts = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if not isinstance(r, str)]
    assert len(receipts) == 1
    assert len(refused) == TASKS - 1
    assert all(isinstance(exc, services.AlreadyVoted) for exc in refused)
    assert RollEntry.objects.count() == 1
    assert list(Ballot.objects.values_list("receipt", flat=True)) == receipts
    assert Mark.objects.count() == 4


def test_two_hundred_deputies_casting_at_once_are_all_counted(congress, county_clerk):
    deputies = make_voters(congress, TASKS, prefix="crowd")
    cycle = make_cycle(congress, places=3, candidates=4)
    round_ = services.voting_open(cycle=cycle, by=county_clerk)

    # Deputy i: candidate 1 "for" always; 2 "for" if i is even; 3 "for" if i % 3 == 0
    # (else against); 4 abstains. At most 3 "for" marks each.
    def marks_for(index: int) -> dict[int, str]:
        return {
            1: "for",
            2: "for" if index % 2 == 0 else "against",
            3: "for" if index % 3 == 0 else "against",
            4: "abstain",
        }

    def cast_task(index: int):
        marks = numbered(round_, marks_for(index))
        return lambda: services.ballot_cast(round_=round_, deputy=deputies[index], marks=marks)

    results = run_together([cast_task(index) for index in range(TASKS)])

    assert all(isinstance(r, str) for r in results), [r for r in results if not isinstance(r, str)]
    assert len(set(results)) == TASKS
    services.round_close(round_=round_, by=county_clerk)
    counted = services.round_count(round_=round_, by=county_clerk)
    assert counted.electronic_ballots == TASKS
    expected = {number: Counter() for number in range(1, 5)}
    for index in range(TASKS):
        for number, choice in marks_for(index).items():
            expected[number][choice] += 1
    got = {
        result.candidate.number: Counter({k: v for k, v in result.counts.items() if v})
        for result in counted.results.select_related("candidate")
    }
    assert got == expected
    assert got[1] == {"for": 200} and got[2]["for"] == 100 and got[3]["for"] == 67
    assert sorted(Ballot.objects.values_list("receipt", flat=True)) == sorted(results)


def test_closing_the_round_while_deputies_cast_loses_no_counted_ballot(congress, county_clerk):
    deputies = make_voters(congress, TASKS, prefix="race")
    cycle = make_cycle(congress, places=3, candidates=4)
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    marks = numbered(round_, {1: "for", 2: "against", 3: "abstain", 4: "for"})
    closer = 3 * THREADS  # worker 0 casts 3 times, closes, then casts 3 times more

    def cast_task(index: int):
        return lambda: services.ballot_cast(round_=round_, deputy=deputies[index], marks=marks)

    def close():
        with transaction.atomic():
            services.round_close(round_=round_, by=county_clerk)
            # Read while the close's lock still holds the round: what the box held when
            # it was shaken and sealed.
            return set(Ballot.objects.filter(round=round_).values_list("receipt", flat=True))

    tasks = [cast_task(index) for index in range(TASKS)]
    tasks[closer] = close
    results = run_together(tasks)

    sealed = results[closer]
    assert isinstance(sealed, set), sealed
    outcomes = [r for i, r in enumerate(results) if i != closer]
    receipts = [r for r in outcomes if isinstance(r, str)]
    refused = [r for r in outcomes if not isinstance(r, str)]
    assert all(isinstance(exc, services.VotingClosed) for exc in refused), refused
    # Worker 0's own casts before and after the close settle both outcomes at least.
    assert all(isinstance(results[i], str) for i in (0, THREADS, 2 * THREADS))
    assert all(isinstance(results[i], services.VotingClosed) for i in (4 * THREADS, 5 * THREADS))
    assert len(receipts) + len(refused) == TASKS - 1

    # Every receipt handed out was in the box when it was sealed, nothing else was, and
    # nothing went in afterwards.
    assert sealed == set(receipts)
    assert sorted(Ballot.objects.values_list("receipt", flat=True)) == sorted(receipts)
    assert RollEntry.objects.count() == len(receipts)
    counted = services.round_count(round_=Round.objects.get(pk=round_.pk), by=county_clerk)
    assert counted.electronic_ballots == len(receipts)
    totals = {r.candidate.number: r.counts for r in counted.results.select_related("candidate")}
    n = len(receipts)
    assert totals[1] == {"for": n, "against": 0, "abstain": 0}
    assert totals[2] == {"for": 0, "against": n, "abstain": 0}
    assert totals[3] == {"for": 0, "against": 0, "abstain": n}
    assert totals[4] == {"for": n, "against": 0, "abstain": 0}
