"""Ballot secrecy, checked on the stored schema and rows (PostgreSQL).

The roll says who voted; the ballots and marks say how someone voted; nothing in the
database joins the two: no column, no foreign key, no value derived from the deputy,
no timestamp, and — once the round is closed — no row order or transaction id.
"""

import hashlib
import hmac

import pytest
from django.conf import settings
from django.db import connection

from liaison.models import Notification, OutboxMessage
from stations.models import Deputy, PointEntry
from tests.factories import make_cycle, make_voters
from votes import services
from votes.models import Ballot, CycleEvent, Mark, RollEntry

pytestmark = pytest.mark.postgres

BALLOT_TABLES = ("votes_ballot", "votes_mark")
PERSON_TABLES = ("stations_deputy", "liaison_user", "votes_rollentry", "votes_attendance")


def columns(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = %s ORDER BY ordinal_position",
            [table],
        )
        return dict(cursor.fetchall())


def references(table):
    """{column: referenced table} for the table's foreign keys."""
    with connection.cursor() as cursor:
        return {
            column: target
            for column, (_target_column, target) in connection.introspection.get_relations(
                cursor, table
            ).items()
        }


def all_tables():
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def test_schema_has_no_path_from_a_deputy_to_the_marks(db):
    for table in BALLOT_TABLES:
        cols = columns(table)
        assert cols["id"] == "uuid", f"{table} keys must be random, not a sequence"
        assert not [c for c, kind in cols.items() if "time" in kind or kind == "date"], table
        assert not [c for c in cols if any(w in c for w in ("deputy", "user", "voter", "roll"))]
        assert set(references(table).values()) <= {"votes_round", "votes_ballot", "votes_candidate"}
    roll = columns("votes_rollentry")
    assert set(roll) == {"id", "round_id", "deputy_id"}, "the roll holds who voted, nothing more"
    # No table anywhere points at both a ballot (or mark) and a person.
    for table in all_tables():
        targets = set(references(table).values())
        if targets & set(BALLOT_TABLES):
            assert not targets & set(PERSON_TABLES), table
            assert table in BALLOT_TABLES, f"{table} references ballots"


def _derived_values(deputy: Deputy) -> set[str]:
    """Every value that could stand in for a deputy: ids, names, and hashes of them."""
    plain = {
        str(deputy.pk),
        str(deputy.user_id),
        deputy.code,
        deputy.name,
        deputy.phone,
        deputy.user.username,
        f"{deputy.pk}",
    }
    derived = set(plain)
    for value in plain:
        raw = value.encode()
        for algorithm in ("md5", "sha1", "sha256", "sha512"):
            derived.add(hashlib.new(algorithm, raw).hexdigest())
        derived.add(hmac.new(settings.SECRET_KEY.encode(), raw, "sha256").hexdigest())
    return {value for value in derived if value}


def test_stored_ballots_hold_no_value_that_leads_back_to_a_deputy(congress, county_clerk):
    deputies = make_voters(congress, 12, prefix="secret")
    cycle = make_cycle(congress, places=2, candidates=3)
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    ids = [c.pk for c in cycle.candidates.order_by("number")]
    receipts = [
        services.ballot_cast(
            round_=round_,
            deputy=deputy,
            marks={str(ids[0]): "for", str(ids[1]): "against", str(ids[2]): "abstain"},
        )
        for deputy in deputies
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM votes_ballot")
        ballot_rows = cursor.fetchall()
        receipt_at = [column.name for column in cursor.description].index("receipt")
        cursor.execute("SELECT * FROM votes_mark")
        mark_rows = cursor.fetchall()
    stored = {str(value) for row in ballot_rows + mark_rows for value in row}
    for deputy in deputies:
        leaked = _derived_values(deputy) & stored
        # Short numbers (a deputy id of 7) may equal a candidate id or a count by chance:
        # only distinctive values count as a leak.
        assert not {value for value in leaked if len(value) > 3}, deputy
    assert sorted(r[receipt_at] for r in ballot_rows) == sorted(receipts)

    # And the other way: nothing about the deputy's side holds a receipt or ballot id.
    secrets_ = set(receipts) | {str(b.pk) for b in Ballot.objects.all()}
    elsewhere = [
        *RollEntry.objects.values_list("id", "round_id", "deputy_id"),
        *PointEntry.objects.values_list("source_key", "description"),
        *CycleEvent.objects.values_list("text", "kind"),
        *Notification.objects.values_list("subject", "body", "link", "dedupe_key"),
        *OutboxMessage.objects.values_list("task", "kwargs"),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_data FROM django_session")
        elsewhere += cursor.fetchall()
    text = repr(elsewhere)
    assert not [s for s in secrets_ if s in text]


def kendall_tau(sequence):
    n = len(sequence)
    concordant = sum(
        1 if sequence[i] < sequence[j] else -1 for i in range(n) for j in range(i + 1, n)
    )
    return concordant / (n * (n - 1) / 2)


@pytest.mark.django_db(transaction=True)
def test_closing_the_round_leaves_no_order_or_transaction_id_that_follows_the_casting(
    hengyang_county,
):
    from tests.factories import CongressFactory, make_user

    congress = CongressFactory(region=hengyang_county, level="county", name="衡阳县人民代表大会")
    clerk = make_user("alice", role="office", region=hengyang_county)
    deputies = make_voters(congress, 40, prefix="order")
    cycle = make_cycle(congress, places=1, candidates=2)
    round_ = services.voting_open(cycle=cycle, by=clerk)
    first = cycle.candidates.order_by("number").first()
    second = cycle.candidates.order_by("number").last()
    # Each deputy commits separately, in a known order.
    cast_order = [
        services.ballot_cast(
            round_=round_,
            deputy=deputy,
            marks={str(first.pk): "for", str(second.pk): "against"},
        )
        for deputy in deputies
    ]

    def physical(table_sql):
        with connection.cursor() as cursor:
            cursor.execute(table_sql, [round_.pk])
            return cursor.fetchall()

    ballot_sql = "SELECT receipt, xmin::text FROM votes_ballot WHERE round_id = %s ORDER BY ctid"
    before = physical(ballot_sql)
    # While the round is open, the physical order is the casting order: the reason the
    # box is shaken at close.
    assert [r for r, _x in before] == cast_order
    assert len({x for _r, x in before}) == len(deputies)

    services.round_close(round_=round_, by=clerk)
    after = physical(ballot_sql)
    marks = physical(
        "SELECT m.xmin::text FROM votes_mark m JOIN votes_ballot b ON b.id = m.ballot_id "
        "WHERE b.round_id = %s"
    )
    assert sorted(r for r, _x in after) == sorted(cast_order)
    assert len({x for _r, x in after}) == 1, "one transaction id for every ballot"
    assert len(set(marks)) == 1, "one transaction id for every mark"
    by_position = [cast_order.index(receipt) for receipt, _x in after]
    assert abs(kendall_tau(by_position)) < 0.5, by_position
    by_key = [
        cast_order.index(receipt)
        for receipt in Ballot.objects.filter(round=round_)
        .order_by("id")
        .values_list("receipt", flat=True)
    ]
    assert abs(kendall_tau(by_key)) < 0.5, by_key
    assert Mark.objects.filter(ballot__round=round_).count() == 2 * len(deputies)
