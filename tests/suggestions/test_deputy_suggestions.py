"""Formal deputy suggestions: drafting with co-signers, the office's review and number,
calendar-month deadlines (Deputies Law art. 51), one reply and one rating per signer,
re-handling, review of B-class items, and the link back to constituents."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from liaison.models import Notification
from suggestions import deputy_suggestions as ds
from suggestions import services
from suggestions.models import Assignment, DeputySuggestion, FollowUp, Reply, ResultClass
from tests.factories import CongressFactory, DeputyFactory, make_user, seat

TZ = dt.timezone(dt.timedelta(hours=8))


def at(day: str):
    return time_machine.travel(dt.datetime.fromisoformat(day).replace(hour=10, tzinfo=TZ))


@pytest.fixture
def classes(db):
    a = ResultClass.objects.get_or_create(code="A", defaults={"name": "已解决或采纳"})[0]
    b = ResultClass.objects.get_or_create(
        code="B", defaults={"name": "列入计划逐步解决", "needs_review": True}
    )[0]
    c = ResultClass.objects.get_or_create(code="C", defaults={"name": "留作参考"})[0]
    return {"A": a, "B": b, "C": c}


@pytest.fixture
def congress(hengyang_county):
    return CongressFactory(region=hengyang_county, level="county")


@pytest.fixture
def author(congress, addressed_deputy):
    seat(addressed_deputy, congress)
    return addressed_deputy


@pytest.fixture
def eve(congress, xidu):
    deputy = DeputyFactory(
        code="EVE001", name="易代表", region=xidu, user=make_user("eve", role="deputy")
    )
    seat(deputy, congress)
    return deputy


@pytest.fixture
def draft(author, congress, deputy_user, roads):
    return ds.deputy_suggestion_draft(
        user=deputy_user,
        congress=congress,
        title="关于改善黄高线路况的建议",
        content="黄高线多处路面破损，建议列入年度养护计划。",
        category=roads,
    )


@pytest.fixture
def signed(draft, deputy_user, eve):
    ds.deputy_suggestion_invite(suggestion=draft, user=deputy_user, deputies=[eve])
    ds.cosigner_respond(suggestion=draft, user=eve.user, confirm=True)
    return draft


@pytest.fixture
def accepted(signed, deputy_user, county_clerk):
    ds.deputy_suggestion_submit(suggestion=signed, user=deputy_user)
    ds.deputy_suggestion_accept(suggestion=signed, user=county_clerk)
    return DeputySuggestion.objects.get(pk=signed.pk)


def test_a_draft_is_submitted_reviewed_and_numbered(accepted, county_clerk, deputy_user):
    assert accepted.status == "received"
    assert accepted.number == "001" and accepted.year == dt.date.today().year
    assert Notification.objects.filter(kind="deputy_suggestion", recipient=county_clerk).exists()


def test_the_office_returns_a_vague_suggestion_with_a_reason(signed, deputy_user, county_clerk):
    ds.deputy_suggestion_submit(suggestion=signed, user=deputy_user)
    with pytest.raises(ValidationError):
        ds.deputy_suggestion_return(suggestion=signed, user=county_clerk, reason="")
    ds.deputy_suggestion_return(suggestion=signed, user=county_clerk, reason="建议内容不够具体")
    signed.refresh_from_db()
    assert signed.status == "draft" and signed.office_note == "建议内容不够具体"
    assert Notification.objects.filter(kind="deputy_suggestion", recipient=deputy_user).exists()


def test_only_deputies_of_the_congress_can_co_sign(draft, deputy_user, hengnan_county):
    outsider = DeputyFactory(code="OUT001", region=hengnan_county)
    with pytest.raises(ValidationError):
        ds.deputy_suggestion_invite(suggestion=draft, user=deputy_user, deputies=[outsider])


def test_a_deputy_outside_the_congress_cannot_draft_to_it(congress, deputy_user, addressed_deputy):
    with pytest.raises(ValidationError):
        ds.deputy_suggestion_draft(user=deputy_user, congress=congress, title="t", content="c")


@pytest.mark.parametrize(
    ("wide", "due"), [(False, dt.date(2027, 4, 30)), (True, dt.date(2027, 7, 31))]
)
def test_assignment_on_31_january_is_due_at_the_end_of_april_or_six_months(
    accepted, transport_bureau, county_clerk, wide, due
):
    if wide:
        ds.deputy_suggestion_set_wide_ranging(
            suggestion=accepted, user=county_clerk, reason="涉及多个部门"
        )
    with at("2027-01-31"):
        services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    lead = Assignment.objects.get(case=accepted)
    assert lead.due_date == due and lead.time_limit_months == (6 if wide else 3)


def test_flagging_six_months_after_assignment_extends_the_running_deadline(
    accepted, transport_bureau, county_clerk
):
    with at("2027-01-31"):
        services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    ds.deputy_suggestion_set_wide_ranging(suggestion=accepted, user=county_clerk, reason="跨部门")
    assert Assignment.objects.get(case=accepted).due_date == dt.date(2027, 7, 31)


def reply_to_all(suggestion, department, result_class, text="已列入2027年养护计划"):
    signers = services.deputy_suggestion_signers(suggestion)
    services.case_reply(
        case=suggestion,
        department=department,
        author=None,
        public_text="",
        result_class=result_class,
        per_deputy={deputy.pk: f"{deputy.name}：{text}" for deputy in signers},
    )


def test_one_reply_per_signer_and_each_signer_rates(
    accepted, transport_bureau, county_clerk, classes, author, eve
):
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    with pytest.raises(ValidationError):  # a reply to the lead deputy alone is not enough
        services.case_reply(
            case=accepted,
            department=transport_bureau,
            author=None,
            public_text="",
            result_class=classes["A"],
            per_deputy={author.pk: "已采纳"},
        )
    reply_to_all(accepted, transport_bureau, classes["A"])
    addressed = set(Reply.objects.filter(case=accepted).values_list("addressee", flat=True))
    assert addressed == {author.pk, eve.pk, None}
    assert Notification.objects.filter(kind="rate", recipient=eve.user).exists()

    services.case_rate(case=accepted, rating="satisfied", rater=author)
    accepted.refresh_from_db()
    assert accepted.status == "replied"  # Eve has not rated yet
    with pytest.raises(ValidationError):
        services.case_rate(case=accepted, rating="satisfied", rater=author)
    services.case_rate(case=accepted, rating="basically", rater=eve)
    accepted.refresh_from_db()
    assert accepted.status == "closed" and accepted.satisfaction == "basically"


def test_an_unsatisfied_signer_starts_re_handling_with_two_months(
    accepted, transport_bureau, county_clerk, classes, eve
):
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    reply_to_all(accepted, transport_bureau, classes["C"])
    with at("2027-03-31"):
        services.case_rate(case=accepted, rating="unsatisfied", rater=eve, comment="未回应核心问题")
    accepted.refresh_from_db()
    assert accepted.status == "reopened" and accepted.due_date == dt.date(2027, 5, 31)
    reply_to_all(accepted, transport_bureau, classes["A"], text="已重新研究并采纳")
    for deputy in services.deputy_suggestion_signers(accepted):
        services.case_rate(case=accepted, rating="satisfied", rater=deputy)
    accepted.refresh_from_db()
    assert accepted.status == "closed" and accepted.result_class == classes["A"]


def test_a_non_signer_cannot_rate(accepted, transport_bureau, county_clerk, classes, congress):
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    reply_to_all(accepted, transport_bureau, classes["A"])
    stranger = DeputyFactory(code="STR001", region=accepted.region)
    with pytest.raises(ValidationError):
        services.case_rate(case=accepted, rating="satisfied", rater=stranger)


def test_b_class_items_come_back_for_review(
    accepted, transport_bureau, county_clerk, classes, settings
):
    settings.LIAISON_REVIEW_MONTHS = 6
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    reply_to_all(accepted, transport_bureau, classes["B"])
    for deputy in services.deputy_suggestion_signers(accepted):
        services.case_rate(case=accepted, rating="satisfied", rater=deputy)
    accepted.refresh_from_db()
    assert accepted.review_due == services.add_months(dt.date.today(), 6)
    assert ds.reviews_due(today=accepted.review_due - dt.timedelta(days=1)) == 0
    assert ds.reviews_due(today=accepted.review_due) >= 1
    assert ds.reviews_due(today=accepted.review_due) == 0  # once


def test_constituents_whose_opinions_were_promoted_hear_the_final_result(
    submit, author, deputy_user, congress, transport_bureau, county_clerk, classes
):
    opinion = submit(deputy=author, title="黄高线坑洼")
    services.suggestion_deputy_decide(suggestion=opinion, user=deputy_user, decision="promote")
    suggestion = ds.deputy_suggestion_draft(
        user=deputy_user,
        congress=congress,
        title="关于黄高线养护的建议",
        content="群众反映黄高线坑洼。",
        source_cases=[opinion],
    )
    ds.deputy_suggestion_submit(suggestion=suggestion, user=deputy_user)
    ds.deputy_suggestion_accept(suggestion=suggestion, user=county_clerk)
    services.case_assign(case=suggestion, lead=transport_bureau, actor=county_clerk)
    reply_to_all(suggestion, transport_bureau, classes["A"])
    services.case_rate(case=suggestion, rating="satisfied", rater=author)
    sms = Notification.objects.get(kind="promoted_result")
    assert sms.address == "13800138000" and opinion.tracking_code in sms.body
    assert opinion.promoted_to.get().pk == suggestion.pk


def test_a_deputy_sees_only_own_and_co_signed_suggestions(signed, eve, congress, xidu):
    other = DeputyFactory(code="OTH001", region=xidu, user=make_user("olga", role="deputy"))
    seat(other, congress)
    mine = ds.deputy_suggestion_draft(user=other.user, congress=congress, title="t", content="c")
    assert list(ds.deputy_suggestions_for(user=eve.user)) == [signed]
    assert ds.deputy_suggestion_for(user=eve.user, pk=mine.pk) is None
    assert list(ds.deputy_suggestions_for(user=other.user)) == [mine]


def test_numbers_run_per_congress_and_year(signed, draft, deputy_user, county_clerk, congress):
    second = ds.deputy_suggestion_draft(
        user=deputy_user, congress=congress, title="二", content="c"
    )
    for suggestion in (signed, second):
        ds.deputy_suggestion_submit(suggestion=suggestion, user=deputy_user)
    numbers = [
        ds.deputy_suggestion_accept(suggestion=s, user=county_clerk) for s in (second, signed)
    ]
    year = dt.date.today().year
    assert numbers == [f"{year}-001", f"{year}-002"]


def test_the_annual_report_counts_classes_on_time_and_satisfaction(
    accepted, transport_bureau, county_clerk, classes, congress
):
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    reply_to_all(accepted, transport_bureau, classes["A"])
    for deputy in services.deputy_suggestion_signers(accepted):
        services.case_rate(case=accepted, rating="satisfied", rater=deputy)
    ds.deputy_suggestion_flag_priority(suggestion=accepted, user=county_clerk, leader="县长")
    report = ds.annual_report(congress=congress, year=accepted.year)
    assert report["total"] == 1 and report["on_time"] == 1 and report["on_time_rate"] == 100.0
    assert {c["code"]: c["count"] for c in report["classes"]}["A"] == 1
    assert report["satisfaction_rate"] == 100.0
    assert [s.pk for s in report["priority"]] == [accepted.pk]


def test_not_rated_signers_are_recorded_as_not_rated(
    accepted, transport_bureau, county_clerk, classes, author
):
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    reply_to_all(accepted, transport_bureau, classes["A"])
    services.case_rate(case=accepted, rating="satisfied", rater=author)
    accepted.refresh_from_db()
    services.case_expire_ratings(now=accepted.replied_at + dt.timedelta(days=60))
    accepted.refresh_from_db()
    assert accepted.status == "closed"
    assert sorted(FollowUp.objects.filter(case=accepted).values_list("rating", flat=True)) == [
        "not_rated",
        "satisfied",
    ]


def test_points_go_to_every_signer_when_the_office_accepts(
    draft, deputy_user, eve, county_clerk, author
):
    from stations.models import PointEntry
    from tests.factories import make_rule_for_points

    make_rule_for_points(author.region, "suggestion_submitted", 3)
    ds.deputy_suggestion_invite(suggestion=draft, user=deputy_user, deputies=[eve])
    ds.deputy_suggestion_submit(suggestion=draft, user=deputy_user)
    assert not PointEntry.objects.exists()  # signatures are still open
    ds.cosigner_respond(suggestion=draft, user=eve.user, confirm=True)  # a late co-signer
    ds.deputy_suggestion_accept(suggestion=draft, user=county_clerk)
    earned = set(PointEntry.objects.values_list("deputy", flat=True))
    assert earned == {author.pk, eve.pk}
    with pytest.raises(ValidationError):  # signatures closed with the acceptance
        ds.cosigner_respond(suggestion=draft, user=eve.user, confirm=False)


def test_six_months_does_not_replace_the_re_handling_limit(
    accepted, transport_bureau, county_clerk, classes, author, eve
):
    with at("2027-01-31"):
        services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
        reply_to_all(accepted, transport_bureau, classes["C"])
    with at("2027-03-01"):
        services.case_rate(case=accepted, rating="unsatisfied", rater=author)
    with at("2027-03-02"):
        ds.deputy_suggestion_set_wide_ranging(
            suggestion=accepted, user=county_clerk, reason="涉及多部门"
        )
    assert Assignment.objects.get(case=accepted).due_date == dt.date(2027, 5, 1)
