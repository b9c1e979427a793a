"""The ballots API: sign in for a token, list the open ballots, cast one, read results.

The cycle fixture (tests/votes/conftest.py) is the Hengyang county congress's 2027
vote: 4 candidates for 3 places, five deputies with accounts (voter000…voter004), and
a Hengnan county deputy (hengnan000) as the outsider.
"""

import json
import logging

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from liaison.crypto import EncryptedMixin
from tests.factories import make_cycle
from votes import services
from votes.models import Ballot, Choice, Mark, RollEntry, Round
from votes.models.ballots import RECEIPT_ALPHABET, RECEIPT_LENGTH

pytestmark = pytest.mark.django_db

TOKEN = reverse("api_token")
BALLOTS = reverse("votes_api:ballots")
PASSWORD = "correct horse battery"


def cast_url(cycle_or_pk) -> str:
    return reverse("votes_api:cast", args=[getattr(cycle_or_pk, "pk", cycle_or_pk)])


def results_url(cycle_or_pk) -> str:
    return reverse("votes_api:results", args=[getattr(cycle_or_pk, "pk", cycle_or_pk)])


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def zh(msgid: str, **params) -> str:
    """The message as a Chinese visitor reads it (the site's default language)."""
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
        return text % params if params else text


def zh_choices(round_kind: str) -> str:
    with translation.override("zh-hans"):
        return "、".join(str(Choice(c).label) for c in Round.CHOICES[round_kind])


def signed_in(username: str) -> APIClient:
    """A client holding the token the sign-in endpoint hands ``username``."""
    client = APIClient()
    response = client.post(TOKEN, {"username": username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


def with_token(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def marks_by_number(round_, numbers: dict[int, str]) -> dict[str, str]:
    """{candidate number: choice} → the API's {"<candidate id>": choice}."""
    ids = {c.number: c.pk for c in round_.candidates.all()}
    return {str(ids[number]): choice for number, choice in numbers.items()}


def nothing_stored() -> bool:
    return not (RollEntry.objects.exists() or Ballot.objects.exists() or Mark.objects.exists())


GOOD = {1: "for", 2: "for", 3: "against", 4: "abstain"}
THREE_FOR = {1: "for", 2: "for", 3: "for", 4: "against"}


@pytest.fixture
def voting(cycle, county_clerk):
    """The cycle with its selection vote open."""
    return services.voting_open(cycle=cycle, by=county_clerk)


@pytest.fixture
def dep(voting, voters):
    """The first deputy of the congress, signed in through the token endpoint."""
    return signed_in(voters[0].user.username)


# --- The whole flow ----------------------------------------------------------------------


def test_a_deputy_signs_in_sees_the_open_ballot_casts_it_once_and_gets_a_receipt(
    cycle, voting, voters
):
    client = signed_in("voter000")

    listed = client.get(BALLOTS)
    assert listed.status_code == 200
    assert "no-store" in listed["Cache-Control"]
    [ballot] = listed.json()
    assert ballot["id"] == cycle.pk
    assert ballot["has_voted"] is False
    assert [c["number"] for c in ballot["candidates"]] == [1, 2, 3, 4]

    response = client.post(cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json")
    assert response.status_code == 201
    receipt = response.json()["receipt"]
    assert len(receipt) == RECEIPT_LENGTH and set(receipt) <= set(RECEIPT_ALPHABET)
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies

    assert client.get(BALLOTS).json()[0]["has_voted"] is True
    again = client.post(cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json")
    assert again.status_code == 409
    assert again.json() == {
        "detail": zh("You have voted in this round already; a ballot cannot be cast twice."),
        "code": "conflict",
    }
    # Whatever the second body holds, even nothing valid: still a conflict, not a 400.
    assert client.post(cast_url(cycle), {"marks": {}}, format="json").status_code == 409

    assert RollEntry.objects.filter(round=voting, deputy=voters[0]).count() == 1
    ballot_row = Ballot.objects.get(round=voting)
    assert ballot_row.receipt == receipt
    marks = {m.candidate.number: m.choice for m in ballot_row.marks.select_related("candidate")}
    assert marks == GOOD


def test_the_list_describes_the_round_its_choices_and_candidates(cycle, voting, dep):
    [ballot] = dep.get(BALLOTS).json()
    first = cycle.candidates.get(number=1)
    with translation.override("zh-hans"):
        choices = [
            {"value": c, "label": str(Choice(c).label)} for c in ("for", "against", "abstain")
        ]
        kind_display = str(Round.Kind.SELECTION.label)
    assert ballot == {
        "id": cycle.pk,
        "title": cycle.title,
        "congress": "衡阳县人民代表大会",
        "year": 2027,
        "round": 1,
        "kind": "selection",
        "kind_display": kind_display,
        "places": 3,
        "choices": choices,
        "candidates": ballot["candidates"],
        "has_voted": False,
    }
    assert ballot["candidates"][0] == {
        "id": first.pk,
        "number": 1,
        "title": "候选项目1",
        "description": "第1个候选项目的说明。",
        "investment": "100.00",
        "responsible_unit": "县交通运输局",
        "planned_completion": "2027-12-31",
    }


def test_a_cycle_not_yet_voting_is_not_listed_and_cannot_be_cast(cycle, voters):
    client = signed_in("voter000")
    assert client.get(BALLOTS).json() == []
    response = client.post(cast_url(cycle), {"marks": {}}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": zh("Voting is not open in this cycle."),
        "code": "conflict",
    }
    assert nothing_stored()


def test_a_closed_round_refuses_ballots_with_409(cycle, voting, dep, county_clerk):
    services.round_close(round_=voting, by=county_clerk)
    assert dep.get(BALLOTS).json() == []
    response = dep.post(cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "detail": zh("Voting is not open in this cycle."),
        "code": "conflict",
    }
    assert not Ballot.objects.exists()


def test_a_deputy_sees_only_the_cycles_of_their_own_congress(
    cycle, voting, voters, outsider, other_congress, county_clerk
):
    theirs = make_cycle(other_congress, places=1, candidates=2)
    services.voting_open(cycle=theirs, by=county_clerk)
    assert [b["id"] for b in with_token(voters[0].user).get(BALLOTS).json()] == [cycle.pk]
    assert [b["id"] for b in with_token(outsider.user).get(BALLOTS).json()] == [theirs.pk]


def test_has_voted_is_each_deputys_own(cycle, voting, voters):
    first, second = with_token(voters[0].user), with_token(voters[1].user)
    response = first.post(cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json")
    assert response.status_code == 201
    assert first.get(BALLOTS).json()[0]["has_voted"] is True
    assert second.get(BALLOTS).json()[0]["has_voted"] is False


# --- Invalid ballots -----------------------------------------------------------------------


def test_more_for_marks_than_places_is_refused_with_a_clear_message(cycle, voting, dep):
    marks = marks_by_number(voting, {1: "for", 2: "for", 3: "for", 4: "for"})
    response = dep.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 400
    message = zh(
        "You marked %(count)s projects “for”, but only %(places)s can be selected: "
        "mark at most %(places)s “for”.",
        count=4,
        places=3,
    )
    assert response.json() == {
        "detail": message,
        "code": "invalid_ballot",
        "errors": {"non_field_errors": [message]},
    }
    assert nothing_stored()


def test_a_missing_candidate_is_named(cycle, voting, dep):
    marks = marks_by_number(voting, {1: "for", 2: "against", 3: "abstain"})
    response = dep.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        zh("Mark every candidate; no mark for: %(titles)s.", titles="候选项目4")
    ]
    assert nothing_stored()


def test_an_unknown_candidate_id_is_refused(cycle, voting, dep):
    marks = marks_by_number(voting, GOOD) | {"999999": "against"}
    response = dep.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        zh("“%(key)s” is not a candidate on this ballot.", key="999999")
    ]
    assert nothing_stored()


def test_a_candidate_of_another_cycle_is_refused(cycle, voting, dep, other_congress):
    stranger = make_cycle(other_congress).candidates.first()
    marks = marks_by_number(voting, GOOD) | {str(stranger.pk): "against"}
    response = dep.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 400
    assert nothing_stored()


@pytest.mark.parametrize("choice", ["yes", "FOR", "satisfied", "", 1, None, True, ["for"]])
def test_a_choice_not_on_the_ballot_is_refused(cycle, voting, dep, choice):
    marks = marks_by_number(voting, GOOD | {4: choice})
    response = dep.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        zh(
            "The mark for “%(title)s” must be one of: %(choices)s.",
            title="候选项目4",
            choices=zh_choices(Round.Kind.SELECTION),
        )
    ]
    assert nothing_stored()


@pytest.mark.parametrize("key", ["05", " 5", "+5", "٥", "1.0", "-1", "abc"])
def test_a_candidate_id_spelled_oddly_is_not_read_as_a_number(cycle, voting, dep, key):
    # "05" would otherwise mark candidate 5 a second time under another spelling.
    first = cycle.candidates.get(number=1).pk
    oddly = key.replace("5", str(first)) if "5" in key else key
    marks = marks_by_number(voting, GOOD) | {oddly: "against"}
    response = dep.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        zh("“%(key)s” is not a candidate on this ballot.", key=oddly)
    ]
    assert nothing_stored()


@pytest.mark.parametrize(
    "body",
    [[], "for", None, 42, {}, {"marks": []}, {"marks": "for"}, {"marks": None}, {"ballot": {}}],
    ids=repr,
)
def test_a_body_that_is_not_a_marks_object_is_refused(cycle, voting, dep, body):
    response = dep.post(cast_url(cycle), data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    message = zh(
        'Send the ballot as {"marks": {"<candidate id>": "<choice>"}}, '
        "one mark for every candidate."
    )
    assert response.json() == {
        "detail": message,
        "code": "invalid_ballot",
        "errors": {"non_field_errors": [message]},
    }
    assert nothing_stored()


def test_an_empty_marks_object_is_an_empty_ballot(cycle, voting, dep):
    response = dep.post(cast_url(cycle), {"marks": {}}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        zh("The ballot is empty: mark every candidate.")
    ]
    assert nothing_stored()


def test_several_problems_are_all_reported(cycle, voting, dep):
    marks = marks_by_number(voting, {1: "for", 2: "maybe"}) | {"424242": "for"}
    response = dep.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_ballot"
    assert len(body["errors"]["non_field_errors"]) == 3
    assert body["detail"] == " ".join(body["errors"]["non_field_errors"])


def test_script_and_sql_in_a_ballot_are_refused_and_not_echoed_as_markup(cycle, voting, dep):
    marks = marks_by_number(voting, GOOD | {4: "<script>alert(1)</script>"})
    marks["1; DROP TABLE votes_mark;--"] = "for"
    response = dep.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "<script>" not in response.content.decode()
    assert nothing_stored()
    # The table is still there, and the deputy can still vote.
    response = dep.post(cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json")
    assert response.status_code == 201


def test_malformed_json_is_a_400_with_a_translated_message(cycle, voting, dep):
    response = dep.post(cast_url(cycle), data='{"marks": {', content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": zh("The request body is not valid JSON."),
        "code": "parse_error",
    }
    assert nothing_stored()


def test_json_nested_thousands_deep_is_malformed_not_a_server_error(cycle, voting, dep):
    body = '{"marks": ' + "[" * 30_000
    response = dep.post(cast_url(cycle), data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": zh("The request body is not valid JSON."),
        "code": "parse_error",
    }
    assert nothing_stored()


def test_a_form_body_is_not_a_ballot(cycle, voting, dep):
    response = dep.post(cast_url(cycle), {"marks": "x"}, format="multipart")
    assert response.status_code == 415
    assert has_chinese(response.json()["detail"])
    assert nothing_stored()


def test_an_oversized_ballot_is_refused(cycle, voting, dep):
    marks = marks_by_number(voting, GOOD) | {"note": "x" * (65 * 1024)}
    response = dep.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 413
    assert response.json() == {
        "detail": zh("The request body is larger than 64 KB."),
        "code": "payload_too_large",
    }
    assert nothing_stored()


def test_after_refused_ballots_the_deputy_can_still_vote(cycle, voting, dep):
    too_many = marks_by_number(voting, {1: "for", 2: "for", 3: "for", 4: "for"})
    assert dep.post(cast_url(cycle), {"marks": too_many}, format="json").status_code == 400
    good = marks_by_number(voting, GOOD)
    assert dep.post(cast_url(cycle), {"marks": good}, format="json").status_code == 201


# --- Who may list and cast -------------------------------------------------------------------


def test_anonymous_visitors_must_authenticate(cycle, voting):
    client = APIClient()
    for response in (
        client.get(BALLOTS),
        client.post(cast_url(cycle), {"marks": {}}, format="json"),
    ):
        assert response.status_code == 401
        assert has_chinese(response.json()["detail"])
        assert response["WWW-Authenticate"] == "Token"


def test_a_made_up_token_is_refused(cycle, voting):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert client.get(BALLOTS).status_code == 401


@pytest.mark.parametrize(
    "role",
    [
        "deputy_user",  # a deputy account not linked to a deputy record
        "department_user",
        "township_clerk",
        "county_clerk",
        "other_county_clerk",
        "city_clerk",
        "admin_user",
    ],
)
def test_only_linked_deputies_may_list_or_cast(request, cycle, voting, role):
    client = with_token(request.getfixturevalue(role))
    message = zh("Only deputies can vote: this account is not linked to a deputy.")
    listed = client.get(BALLOTS)
    assert listed.status_code == 403
    assert listed.json() == {"detail": message, "code": "permission_denied"}
    cast = client.post(cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json")
    assert cast.status_code == 403
    assert cast.json() == {"detail": message, "code": "permission_denied"}
    assert nothing_stored()


def test_a_deputy_of_another_congress_gets_403(cycle, voting, outsider):
    client = with_token(outsider.user)
    assert client.get(BALLOTS).json() == []
    response = client.post(cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json")
    assert response.status_code == 403
    assert response.json() == {
        "detail": zh("Only deputies of this congress may vote in this cycle."),
        "code": "permission_denied",
    }
    assert nothing_stored()


def test_a_deputy_whose_seat_ended_gets_403(cycle, voting, voters):
    voters[0].memberships.update(is_active=False)
    client = with_token(voters[0].user)
    assert client.get(BALLOTS).json() == []
    response = client.post(cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json")
    assert response.status_code == 403
    assert nothing_stored()


def test_an_inactive_deputy_record_gets_403(cycle, voting, voters):
    voters[0].is_active = False
    voters[0].save()
    client = with_token(voters[0].user)
    assert client.get(BALLOTS).json() == []
    response = client.post(cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json")
    assert response.status_code == 403
    assert nothing_stored()


@pytest.mark.parametrize("pk", [0, 987654, 99999999999999999999])
def test_an_unknown_cycle_is_a_404(voting, dep, pk):
    response = dep.post(cast_url(pk), {"marks": {}}, format="json")
    assert response.status_code == 404
    assert response.json() == {
        "detail": zh("There is no ballot cycle with this number."),
        "code": "not_found",
    }
    assert APIClient().get(results_url(pk)).status_code == 404


def test_a_signed_in_browser_session_works_but_needs_the_csrf_token(
    cycle, voting, voters, settings
):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(voters[0].user)
    assert client.get(BALLOTS).status_code == 200
    marks = {"marks": marks_by_number(voting, GOOD)}
    refused = client.post(cast_url(cycle), marks, format="json")
    assert refused.status_code == 403
    assert nothing_stored()
    token = "k" * 32  # a CSRF secret, as the cookie carries it
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    response = client.post(cast_url(cycle), marks, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
    # The receipt went to the answer only, not into the session.
    assert response.json()["receipt"] not in json.dumps(dict(client.session.items()))


# --- Secrecy of the receipt ---------------------------------------------------------------


def _stored_in(receipt: str) -> set[tuple[str, str]]:
    """Every (table, column) of every model whose text holds ``receipt``."""
    found = set()
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedMixin):
                # Ciphertext cannot be searched (the field refuses it), nor hold the
                # receipt in clear: search the raw column.
                with connection.cursor() as cursor:
                    cursor.execute(
                        f'SELECT 1 FROM "{model._meta.db_table}" '  # noqa: S608
                        f'WHERE "{field.column}" LIKE %s LIMIT 1',
                        [f"%{receipt}%"],
                    )
                    hit = cursor.fetchone() is not None
            elif isinstance(field, models.CharField | models.TextField):
                query = {f"{field.attname}__contains": receipt}
                hit = model._base_manager.filter(**query).exists()
            elif isinstance(field, models.JSONField):
                hit = (
                    model._base_manager.annotate(_text=Cast(field.attname, models.TextField()))
                    .filter(_text__contains=receipt)
                    .exists()
                )
            else:
                continue
            if hit:
                found.add((model._meta.db_table, field.column))
    return found


def test_the_receipt_is_stored_with_the_ballot_only_and_never_logged(cycle, voting, dep, caplog):
    with caplog.at_level(logging.DEBUG):
        response = dep.post(
            cast_url(cycle), {"marks": marks_by_number(voting, GOOD)}, format="json"
        )
    receipt = response.json()["receipt"]
    assert receipt not in caplog.text
    assert all(receipt not in str(record.args) for record in caplog.records)
    assert _stored_in(receipt) == {("votes_ballot", "receipt")}


# --- The satisfaction vote --------------------------------------------------------------------


def run_selection(cycle, voters, clerk, marks_for):
    """Open, cast for every deputy ({number: choice} per index), close and count."""
    round_ = services.voting_open(cycle=cycle, by=clerk)
    receipts = []
    for index, deputy in enumerate(voters):
        marks = marks_by_number(round_, marks_for(index))
        receipts.append(services.ballot_cast(round_=round_, deputy=deputy, marks=marks))
    services.round_close(round_=round_, by=clerk)
    services.round_count(round_=round_, by=clerk)
    return round_, receipts


def test_the_satisfaction_vote_takes_satisfaction_marks(cycle, voters, county_clerk):
    run_selection(cycle, voters, county_clerk, lambda i: THREE_FOR)
    services.results_publish(cycle=cycle, by=county_clerk)
    services.implementation_start(cycle=cycle, by=county_clerk)
    satisfaction = services.satisfaction_open(cycle=cycle, by=county_clerk)
    client = with_token(voters[0].user)

    [ballot] = client.get(BALLOTS).json()
    assert ballot["kind"] == "satisfaction"
    assert ballot["places"] is None
    assert [c["value"] for c in ballot["choices"]] == [
        "satisfied",
        "basically_satisfied",
        "unsatisfied",
    ]
    assert [c["number"] for c in ballot["candidates"]] == [1, 2, 3]

    wrong = marks_by_number(satisfaction, {1: "for", 2: "satisfied", 3: "satisfied"})
    response = client.post(cast_url(cycle), {"marks": wrong}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["non_field_errors"] == [
        zh(
            "The mark for “%(title)s” must be one of: %(choices)s.",
            title="候选项目1",
            choices=zh_choices(Round.Kind.SATISFACTION),
        )
    ]
    good = marks_by_number(
        satisfaction, {1: "satisfied", 2: "basically_satisfied", 3: "unsatisfied"}
    )
    assert client.post(cast_url(cycle), {"marks": good}, format="json").status_code == 201
    assert client.post(cast_url(cycle), {"marks": good}, format="json").status_code == 409
    assert Ballot.objects.filter(round=satisfaction).count() == 1


# --- Results ------------------------------------------------------------------------------


def everyone(request) -> list[APIClient]:
    """Anonymous, a deputy of the congress, its county clerk and a superuser."""
    clients = [APIClient()]
    for role in ("county_clerk", "admin_user"):
        clients.append(with_token(request.getfixturevalue(role)))
    clients.append(with_token(request.getfixturevalue("voters")[0].user))
    return clients


def test_results_are_403_to_everyone_before_publication(request, cycle, voters, county_clerk):
    url = results_url(cycle)
    for client in everyone(request):
        assert client.get(url).status_code == 403
    services.voting_open(cycle=cycle, by=county_clerk)
    for client in everyone(request):
        assert client.get(url).status_code == 403
    round_ = cycle.rounds.get()
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    # Counted is not published: the office checks the count first.
    for client in everyone(request):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json() == {
            "detail": zh("The results of this cycle have not been published yet."),
            "code": "permission_denied",
        }
    services.results_publish(cycle=cycle, by=county_clerk)
    for client in everyone(request):
        assert client.get(url).status_code == 200


def test_published_results_combine_electronic_and_paper_ballots(
    cycle, voters, county_clerk, admin_user
):
    # Three deputies vote electronically, two on paper; the clerks enter the paper count.
    round_ = services.voting_open(cycle=cycle, by=county_clerk)
    client_receipts = []
    for deputy in voters[:3]:
        marks = marks_by_number(round_, {1: "for", 2: "for", 3: "against", 4: "abstain"})
        response = with_token(deputy.user).post(cast_url(cycle), {"marks": marks}, format="json")
        client_receipts.append(response.json()["receipt"])
    ids = {c.number: c.pk for c in round_.candidates.all()}
    paper = {1: (2, 0, 0), 2: (0, 2, 0), 3: (2, 0, 0), 4: (1, 0, 1)}  # for, against, abstain
    lines = {
        (ids[n], choice): figures[i]
        for n, figures in paper.items()
        for i, choice in enumerate(("for", "against", "abstain"))
    }
    for clerk in (county_clerk, admin_user):
        services.tally_enter(round_=round_, by=clerk, issued=2, returned=2, invalid=0, lines=lines)
    services.round_close(round_=round_, by=county_clerk)
    services.round_count(round_=round_, by=county_clerk)
    services.results_publish(cycle=cycle, by=county_clerk)

    response = APIClient().get(results_url(cycle))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == cycle.pk and body["threshold_basis"] == "all"
    [selection] = body["rounds"]
    assert selection["kind"] == "selection"
    assert selection["electorate"] == 5
    assert selection["electronic_ballots"] == 3
    assert selection["paper_ballots"] == 2
    assert selection["basis"] == 5 and selection["threshold"] == 3
    assert selection["tie"] is False
    by_number = {row["candidate"]["number"]: row for row in selection["results"]}
    assert {n: (r["for"], r["against"], r["abstain"]) for n, r in by_number.items()} == {
        1: (5, 0, 0),
        2: (3, 2, 0),
        3: (2, 3, 0),
        4: (1, 0, 4),
    }
    outcome = {n: (r["score"], r["rank"], r["passed"], r["selected"]) for n, r in by_number.items()}
    assert outcome == {
        1: (5, 1, True, True),
        2: (3, 2, True, True),
        3: (2, 3, False, False),
        4: (1, 4, False, False),
    }
    assert [c["number"] for c in body["selected"]] == [1, 2]
    assert body["receipts"] == sorted(client_receipts)
    assert body["satisfaction"] is None


def run_to_runoff(cycle, voters, clerk):
    """12 candidates for 10 places; candidates 10 and 11 tie at the cut line, and the
    run-off gives the last place to 10."""
    first = [1, 2, 3, 4, 5, 6, 7, 8, 9]

    def marks_for(index):
        chosen = {
            0: [*first, 10],
            1: [*first, 10],
            2: [*first[:-1], 10, 11],
            3: [*first, 11],
            4: [*first, 11],
        }[index]
        return {n: "for" if n in chosen else "against" for n in range(1, 13)}

    _selection, receipts = run_selection(cycle, voters, clerk, marks_for)
    runoff = services.runoff_open(cycle=cycle, by=clerk)
    for deputy in voters:
        marks = marks_by_number(runoff, {10: "for", 11: "against"})
        receipts.append(services.ballot_cast(round_=runoff, deputy=deputy, marks=marks))
    services.round_close(round_=runoff, by=clerk)
    services.round_count(round_=runoff, by=clerk)
    services.results_publish(cycle=cycle, by=clerk)
    return receipts


def test_a_tie_and_its_runoff_are_both_published(congress, voters, county_clerk):
    cycle = make_cycle(congress, places=10, candidates=12)
    receipts = run_to_runoff(cycle, voters, county_clerk)
    body = APIClient().get(results_url(cycle)).json()
    selection, runoff = body["rounds"]
    assert selection["tie"] is True
    tied = sorted(r["candidate"]["number"] for r in selection["results"] if r["tied"])
    assert tied == [10, 11]
    assert runoff["kind"] == "runoff" and runoff["places"] == 1
    assert [(r["candidate"]["number"], r["for"], r["selected"]) for r in runoff["results"]] == [
        (10, 5, True),
        (11, 0, False),
    ]
    assert sorted(c["number"] for c in body["selected"]) == list(range(1, 11))
    assert body["receipts"] == sorted(receipts)


def test_satisfaction_results_appear_once_the_evaluation_is_published(cycle, voters, county_clerk):
    run_selection(cycle, voters, county_clerk, lambda i: THREE_FOR)
    services.results_publish(cycle=cycle, by=county_clerk)
    services.implementation_start(cycle=cycle, by=county_clerk)
    satisfaction = services.satisfaction_open(cycle=cycle, by=county_clerk)
    receipts = []
    for index, deputy in enumerate(voters):
        rating = {1: "satisfied", 2: "basically_satisfied" if index else "unsatisfied"}
        marks = marks_by_number(satisfaction, rating | {3: "unsatisfied"})
        receipts.append(services.ballot_cast(round_=satisfaction, deputy=deputy, marks=marks))
    services.round_close(round_=satisfaction, by=county_clerk)
    services.round_count(round_=satisfaction, by=county_clerk)
    # Counted but not yet published: still hidden.
    assert APIClient().get(results_url(cycle)).json()["satisfaction"] is None

    services.evaluation_publish(cycle=cycle, by=county_clerk)
    body = APIClient().get(results_url(cycle)).json()
    assert [r["kind"] for r in body["rounds"]] == ["selection"]
    rated = body["satisfaction"]
    assert rated["electronic_ballots"] == 5
    by_number = {row["candidate"]["number"]: row for row in rated["results"]}
    assert by_number[1] | {"candidate": None} == {
        "candidate": None,
        "satisfied": 5,
        "basically_satisfied": 0,
        "unsatisfied": 0,
        "score": 5,
        "rank": 1,
        "rate": "100.00",
    }
    assert (by_number[2]["basically_satisfied"], by_number[2]["rate"]) == (4, "80.00")
    assert by_number[3]["rate"] == "0.00"
    assert rated["receipts"] == sorted(receipts)
    assert not set(rated["receipts"]) & set(body["receipts"])


# --- Bounded queries --------------------------------------------------------------------------


def open_cycles(congress, clerk, *, cycles: int, candidates: int):
    made = []
    for offset in range(cycles):
        # The most places the default margin (0.2) allows for this many candidates.
        places = candidates * 5 // 6
        cycle = make_cycle(congress, places=places, candidates=candidates, year=2027 + offset)
        services.voting_open(cycle=cycle, by=clerk)
        made.append(cycle)
    return made


@pytest.mark.parametrize(("cycles", "candidates"), [(1, 4), (4, 15)])
def test_the_list_takes_four_queries_whatever_its_size(
    congress, voters, county_clerk, django_assert_max_num_queries, cycles, candidates
):
    open_cycles(congress, county_clerk, cycles=cycles, candidates=candidates)
    client = with_token(voters[0].user)
    # The token with its user, the deputy, the rounds, their candidates.
    with django_assert_max_num_queries(4):
        response = client.get(BALLOTS)
    assert len(response.json()) == cycles
    assert all(len(b["candidates"]) == candidates for b in response.json())


@pytest.mark.parametrize("size", ["small", "large"])
def test_results_take_four_queries_whatever_their_size(
    congress, voters, county_clerk, django_assert_max_num_queries, size
):
    if size == "small":
        cycle = make_cycle(congress, places=3, candidates=4)
        run_selection(cycle, voters, county_clerk, lambda i: GOOD)
        services.results_publish(cycle=cycle, by=county_clerk)
    else:  # two rounds, 12 candidates
        cycle = make_cycle(congress, places=10, candidates=12)
        run_to_runoff(cycle, voters, county_clerk)
    # The cycle, the rounds, their results with candidates, the receipts.
    with django_assert_max_num_queries(4):
        response = APIClient().get(results_url(cycle))
    assert response.status_code == 200


def test_evaluated_results_take_seven_queries(
    cycle, voters, county_clerk, django_assert_max_num_queries
):
    run_selection(cycle, voters, county_clerk, lambda i: GOOD)
    services.results_publish(cycle=cycle, by=county_clerk)
    services.implementation_start(cycle=cycle, by=county_clerk)
    satisfaction = services.satisfaction_open(cycle=cycle, by=county_clerk)
    for deputy in voters:
        marks = marks_by_number(satisfaction, {1: "satisfied", 2: "satisfied"})
        services.ballot_cast(round_=satisfaction, deputy=deputy, marks=marks)
    services.round_close(round_=satisfaction, by=county_clerk)
    services.round_count(round_=satisfaction, by=county_clerk)
    services.evaluation_publish(cycle=cycle, by=county_clerk)
    # Plus the satisfaction round, its results and its receipts.
    with django_assert_max_num_queries(7):
        response = APIClient().get(results_url(cycle))
    assert response.json()["satisfaction"]["results"]


@pytest.mark.parametrize("candidates", [4, 15])
def test_casting_takes_a_bounded_number_of_queries(
    congress, voters, county_clerk, django_assert_max_num_queries, candidates
):
    [cycle] = open_cycles(congress, county_clerk, cycles=1, candidates=candidates)
    round_ = cycle.rounds.get()
    marks = marks_by_number(round_, dict.fromkeys(range(1, candidates + 1), "abstain"))
    client = with_token(voters[0].user)
    # 8 reads (token, deputy, cycle, eligibility, open round, has voted, eligibility
    # again in the service, candidates), then the service's locked transaction (16 with savepoints);
    # the marks go in with one INSERT however many there are.
    with django_assert_max_num_queries(24):
        response = client.post(cast_url(cycle), {"marks": marks}, format="json")
    assert response.status_code == 201
    assert Mark.objects.count() == candidates
