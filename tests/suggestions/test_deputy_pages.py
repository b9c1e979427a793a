"""The deputies' pages for formal deputy suggestions, and a department answering one,
tried from the outside.

Dora (刘代表) leads a suggestion to the Hengyang county congress; Eve (易代表) is invited
to co-sign it; Olga sits in the same congress but has nothing to do with it. Dan
handles the transport bureau's items, Erin the water bureau's, Frank the neighbouring
county's bureau's.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from liaison.models import Notification
from suggestions import deputy_suggestions as ds
from suggestions import services
from suggestions.models import (
    Assignment,
    Case,
    CoSigner,
    DeputySuggestion,
    FollowUp,
    Reply,
    ResultClass,
)
from tests.factories import CongressFactory, DeputyFactory, make_user, seat

LIST = reverse("suggestions:deputy_suggestions")
NEW = reverse("suggestions:deputy_suggestion_new")


def detail(suggestion) -> str:
    return reverse("suggestions:deputy_suggestion", args=[suggestion.pk])


def work_item(case) -> str:
    return reverse("suggestions:work_item", args=[case.pk])


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    # Messages and labels are checked by their English msgids.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def refreshed(suggestion) -> DeputySuggestion:
    return DeputySuggestion.objects.get(pk=suggestion.pk)


@pytest.fixture
def classes(db):
    a = ResultClass.objects.get_or_create(code="A", defaults={"name": "已解决或采纳"})[0]
    b = ResultClass.objects.get_or_create(
        code="B", defaults={"name": "列入计划逐步解决", "needs_review": True}
    )[0]
    c = ResultClass.objects.get_or_create(code="C", defaults={"name": "留作参考"})[0]
    old = ResultClass.objects.get_or_create(
        code="X", defaults={"name": "旧分类", "is_active": False}
    )[0]
    return {"A": a, "B": b, "C": c, "X": old}


@pytest.fixture
def congress(hengyang_county):
    return CongressFactory(region=hengyang_county, level="county")


@pytest.fixture
def other_congress(hengnan_county):
    return CongressFactory(region=hengnan_county, level="county")


@pytest.fixture
def author(congress, addressed_deputy):
    seat(addressed_deputy, congress)
    return addressed_deputy


@pytest.fixture
def eve(congress, xidu):
    deputy = DeputyFactory(
        code="EVE001",
        name="易代表",
        region=xidu,
        phone="13712345678",
        user=make_user("eve", role="deputy"),
    )
    seat(deputy, congress)
    return deputy


@pytest.fixture
def olga(congress, xidu):
    deputy = DeputyFactory(
        code="OLGA01", name="欧代表", region=xidu, user=make_user("olga", role="deputy")
    )
    seat(deputy, congress)
    return deputy


@pytest.fixture
def dora(deputy_user, author):
    return client_for(deputy_user)


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
    return refreshed(signed)


@pytest.fixture
def assigned(accepted, transport_bureau, county_clerk):
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    return refreshed(accepted)


def reply_to_all(suggestion, department, result_class):
    services.case_reply(
        case=suggestion,
        department=department,
        author=None,
        public_text="",
        result_class=result_class,
        per_deputy={
            deputy.pk: f"致{deputy.name}：已列入2027年养护计划。"
            for deputy in services.deputy_suggestion_signers(suggestion)
        },
    )
    return refreshed(suggestion)


# --- Who may open which page ----------------------------------------------------------


@pytest.mark.parametrize("url_name", ["list", "new", "detail"])
def test_anonymous_visitors_are_sent_to_log_in(client, draft, url_name):
    url = {"list": LIST, "new": NEW, "detail": detail(draft)}[url_name]
    for response in (client.get(url), client.post(url, {"action": "submit"})):
        assert response.status_code == 302
        assert response["Location"] == reverse("login") + "?next=" + url
    assert refreshed(draft).status == Case.Status.DRAFT


@pytest.mark.parametrize("url_name", ["list", "new", "detail"])
def test_only_deputies_with_a_deputy_record_may_open_the_pages(
    draft, url_name, department_user, county_clerk, admin_user
):
    unlinked = make_user("derek", role="deputy")  # a deputy account without a Deputy
    url = {"list": LIST, "new": NEW, "detail": detail(draft)}[url_name]
    for user in (department_user, county_clerk, admin_user, unlinked):
        client = client_for(user)
        assert client.get(url).status_code == 403, user
        if url != LIST:  # the list is read-only: a POST there is a 405
            assert client.post(url, {"action": "submit"}).status_code == 403, user
    assert refreshed(draft).status == Case.Status.DRAFT


def test_a_deputy_sees_own_and_co_signed_suggestions_and_nobody_elses(
    signed, eve, olga, congress, dora
):
    olgas = ds.deputy_suggestion_draft(
        user=olga.user, congress=congress, title="关于村级图书室的建议", content="增加图书。"
    )
    response = dora.get(LIST)
    assert [row.suggestion.pk for row in response.context["rows"]] == [signed.pk]
    assert "关于村级图书室的建议" not in response.content.decode()

    eves = client_for(eve.user).get(LIST)
    [row] = eves.context["rows"]
    assert row.suggestion.pk == signed.pk and not row.is_author
    assert row.cosign_label == "Confirmed"

    olga_client = client_for(olga.user)
    assert [r.suggestion.pk for r in olga_client.get(LIST).context["rows"]] == [olgas.pk]
    # Another deputy's suggestion by id is a 404, whatever the method.
    assert olga_client.get(detail(signed)).status_code == 404
    response = olga_client.post(detail(signed), {"action": "respond", "answer": "confirm"})
    assert response.status_code == 404
    assert dora.get(detail(olgas)).status_code == 404
    assert not CoSigner.objects.filter(deputy=olga).exists()


def test_the_list_shows_number_due_date_and_result_class(assigned, dora, transport_bureau, classes):
    replied = reply_to_all(assigned, transport_bureau, classes["A"])
    page = dora.get(LIST).content.decode()
    assert f"No. {replied.year}-001" in page
    assert f"Due {replied.due_date:%Y-%m-%d}" in page
    assert "Result: A 已解决或采纳" in page
    assert "Waiting for you" in page  # the reply waits for Dora's rating


def test_an_invited_deputy_finds_the_invitation_among_what_waits_for_her(draft, dora, eve):
    ds.deputy_suggestion_invite(suggestion=draft, user=draft.author.user, deputies=[eve])
    eves = client_for(eve.user)
    response = eves.get(LIST, {"show": "waiting"})
    assert response.context["waiting_count"] == 1
    assert [row.suggestion.pk for row in response.context["rows"]] == [draft.pk]
    assert response.context["rows"][0].cosign_label == "Invited"
    ds.cosigner_respond(suggestion=draft, user=eve.user, confirm=True)
    assert eves.get(LIST, {"show": "waiting"}).context["rows"] == []


@pytest.mark.parametrize("count", [1, 6])
def test_the_list_runs_a_bounded_number_of_queries(
    author, congress, deputy_user, eve, count, django_assert_max_num_queries
):
    for n in range(count):
        suggestion = ds.deputy_suggestion_draft(
            user=deputy_user, congress=congress, title=f"建议{n}", content="内容"
        )
        ds.deputy_suggestion_invite(suggestion=suggestion, user=deputy_user, deputies=[eve])
    client = client_for(deputy_user)
    with django_assert_max_num_queries(7):
        response = client.get(LIST)
    assert len(response.context["rows"]) == count


# --- A new draft ----------------------------------------------------------------------


def test_a_deputy_drafts_a_suggestion_to_a_congress_she_sits_in(
    dora, congress, other_congress, roads, author
):
    page = dora.get(NEW)
    assert page.status_code == 200
    assert list(page.context["form"].fields["congress"].queryset) == [congress]
    response = dora.post(
        NEW,
        {
            "congress": congress.pk,
            "title": "关于增设公交站点的建议",
            "content": "西渡镇梅花村村民出行不便，建议增设公交站点。",
            "category": roads.pk,
            "timing": "session",
        },
    )
    suggestion = DeputySuggestion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(suggestion)
    assert suggestion.author == author and suggestion.status == Case.Status.DRAFT
    assert suggestion.timing == "session" and suggestion.category == roads
    assert suggestion.region_id == congress.region_id
    assert any("draft has been saved" in m for m in messages_of(response))


def test_a_congress_she_does_not_sit_in_is_refused(dora, other_congress, author):
    response = dora.post(
        NEW,
        {"congress": other_congress.pk, "title": "标题", "content": "内容", "timing": "interim"},
    )
    assert response.status_code == 200
    assert "congress" in response.context["form"].errors
    assert not DeputySuggestion.objects.exists()


def test_errors_are_shown_the_input_kept_and_markup_refused_escaped(dora, congress):
    response = dora.post(
        NEW,
        {
            "congress": congress.pk,
            "title": "",
            "content": "<script>alert(1)</script>建议内容",
            "timing": "interim",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"title", "content"}
    page = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;建议内容" in page  # kept, escaped
    assert "<script>alert(1)" not in page
    assert not DeputySuggestion.objects.exists()


def test_a_draft_can_be_made_from_opinions_marked_for_promotion(
    dora, submit, author, deputy_user, congress, eve
):
    promoted = submit(deputy=author, title="黄高线坑洼")
    services.suggestion_deputy_decide(suggestion=promoted, user=deputy_user, decision="promote")
    waiting = submit(deputy=author, title="尚未处理的意见")
    to_eve = submit(deputy=eve, title="写给易代表的意见")
    services.suggestion_deputy_decide(suggestion=to_eve, user=eve.user, decision="promote")

    choices = dora.get(NEW).context["form"].fields["source_cases"].queryset
    assert list(choices) == [promoted]
    response = dora.post(
        NEW,
        {
            "congress": congress.pk,
            "title": "关于黄高线养护的建议",
            "content": "群众反映黄高线坑洼。",
            "timing": "interim",
            "source_cases": [promoted.pk],
        },
    )
    assert response.status_code == 302
    suggestion = DeputySuggestion.objects.get()
    assert list(suggestion.source_cases.values_list("pk", flat=True)) == [promoted.pk]
    # An opinion not promoted, or another deputy's, cannot be slipped in.
    response = dora.post(
        NEW,
        {
            "congress": congress.pk,
            "title": "另一条建议",
            "content": "内容",
            "timing": "interim",
            "source_cases": [waiting.pk, to_eve.pk],
        },
    )
    assert response.status_code == 200
    assert "source_cases" in response.context["form"].errors
    # Once made into a suggestion, an opinion is no longer offered.
    assert not dora.get(NEW).context["form"].fields["source_cases"].queryset.exists()
    assert dora.get(detail(suggestion)).context["sources"][0].pk == promoted.pk


def test_a_deputy_without_a_seat_is_told_to_ask_the_office(xidu):
    lone = DeputyFactory(code="LONE01", region=xidu, user=make_user("luke", role="deputy"))
    response = client_for(lone.user).get(NEW)
    assert response.status_code == 200
    assert not response.context["has_congress"]
    assert 'name="title"' not in response.content.decode()


# --- Drafting with co-signers, submitting ---------------------------------------------


def test_the_author_edits_invites_and_submits_the_draft(
    dora, draft, eve, olga, hengnan_county, county_clerk, water
):
    outsider = DeputyFactory(code="OUT001", name="外县代表", region=hengnan_county)
    page = dora.get(detail(draft))
    assert set(page.context["forms"]) == {"edit", "invite", "submit"}
    invite = page.context["invite_form"]
    offered = {pk for pk, _label in invite.fields["deputies"].widget.choices}
    assert offered == {eve.pk, olga.pk}  # fellow members only, not herself or outsiders

    response = dora.post(
        detail(draft),
        {
            "action": "edit",
            "title": "关于黄高线养护的建议",
            "content": "新的内容。",
            "category": water.pk,
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "关于黄高线养护的建议" and draft.category == water

    response = dora.post(detail(draft), {"action": "invite", "deputies": [outsider.pk]})
    assert response.status_code == 200
    assert "deputies" in response.context["forms"]["invite"].errors
    response = dora.post(detail(draft), {"action": "invite", "deputies": [eve.pk, olga.pk]})
    assert response.status_code == 302
    assert "Deputies invited: 2." in messages_of(response)
    assert set(CoSigner.objects.values_list("deputy", flat=True)) == {eve.pk, olga.pk}
    assert Notification.objects.filter(kind="cosign", recipient=eve.user).exists()
    page = dora.get(detail(draft)).content.decode()
    assert "易代表" in page and "欧代表" in page and "Invited" in page

    response = dora.post(detail(draft), {"action": "submit"})
    assert response.status_code == 302
    assert refreshed(draft).status == Case.Status.SUBMITTED
    assert Notification.objects.filter(kind="deputy_suggestion", recipient=county_clerk).exists()
    # Submitted: nothing left for the author to change.
    page = dora.get(detail(draft))
    assert page.context["forms"] == {}
    response = dora.post(detail(draft), {"action": "edit", "title": "改", "content": "改"})
    assert response.status_code == 302
    assert "This can no longer be done on this suggestion." in messages_of(response)
    assert refreshed(draft).title == "关于黄高线养护的建议"


def test_the_invite_list_can_be_searched_by_name(dora, draft, eve, olga):
    invite = dora.get(detail(draft), {"find": "易"}).context["invite_form"]
    assert [pk for pk, _label in invite.fields["deputies"].widget.choices] == [eve.pk]
    assert invite.fields["deputies"].widget.choices[0][1] == "易代表（西渡镇）"


def test_a_co_signer_confirms_but_cannot_edit_or_submit(draft, dora, eve):
    ds.deputy_suggestion_invite(suggestion=draft, user=draft.author.user, deputies=[eve])
    eves = client_for(eve.user)
    page = eves.get(detail(draft))
    assert set(page.context["forms"]) == {"respond"}
    assert "刘代表 invites you to co-sign" in page.content.decode()

    for data in (
        {"action": "edit", "title": "被改写", "content": "被改写"},
        {"action": "submit"},
        {"action": "invite", "deputies": [eve.pk]},
    ):
        response = eves.post(detail(draft), data)
        assert response.status_code == 302
        assert "This can no longer be done on this suggestion." in messages_of(response)
    draft.refresh_from_db()
    assert draft.status == Case.Status.DRAFT and draft.title == "关于改善黄高线路况的建议"

    response = eves.post(detail(draft), {"action": "respond", "answer": "confirm"})
    assert response.status_code == 302
    assert "You have co-signed this suggestion." in messages_of(response)
    assert CoSigner.objects.get(deputy=eve).status == CoSigner.Status.CONFIRMED
    # She may still withdraw until the office accepts it.
    response = eves.post(detail(draft), {"action": "respond", "answer": "decline"})
    assert CoSigner.objects.get(deputy=eve).status == CoSigner.Status.DECLINED


def test_signatures_close_when_the_office_accepts(accepted, eve, olga, deputy_user):
    assert not client_for(eve.user).get(detail(accepted)).context["forms"]


def test_an_unknown_action_is_a_bad_request(dora, draft):
    assert dora.post(detail(draft), {"action": "delete"}).status_code == 400


def test_the_forms_need_a_csrf_token(deputy_user, draft, author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(deputy_user)
    assert client.post(detail(draft), {"action": "submit"}).status_code == 403
    assert refreshed(draft).status == Case.Status.DRAFT


def test_a_returned_draft_shows_the_offices_reason_escaped(dora, draft, county_clerk):
    ds.deputy_suggestion_submit(suggestion=draft, user=draft.author.user)
    ds.deputy_suggestion_return(
        suggestion=draft, user=county_clerk, reason="请补充具体路段 <b>及措施</b>"
    )
    response = dora.get(detail(draft))
    page = response.content.decode()
    assert "Returned by the liaison office:" in page
    assert "请补充具体路段 &lt;b&gt;及措施&lt;/b&gt;" in page
    assert set(response.context["forms"]) == {"edit", "invite", "submit"}
    dora.post(detail(draft), {"action": "submit"})
    draft.refresh_from_db()
    assert draft.status == Case.Status.SUBMITTED and draft.office_note == ""


# --- Following the handling, reading the reply, rating ---------------------------------


def test_each_signer_reads_the_reply_addressed_to_them_and_rates_it(
    assigned, dora, eve, transport_bureau, classes
):
    page = dora.get(detail(assigned))
    assert page.context["assignments"][0].department == transport_bureau
    assert f"Assigned {dt.date.today():%Y-%m-%d}" in page.content.decode()
    assert "3 months" in page.content.decode()
    assert "rate" not in page.context["forms"]

    replied = reply_to_all(assigned, transport_bureau, classes["A"])
    eves = client_for(eve.user)
    page = eves.get(detail(replied))
    text = page.content.decode()
    assert "致易代表：已列入2027年养护计划。" in text
    assert "致刘代表" not in text  # the reply to Dora is Dora's
    assert "A 已解决或采纳" in text
    assert set(page.context["forms"]) == {"rate"}

    response = eves.post(detail(replied), {"action": "rate", "rating": "satisfied"})
    assert response.status_code == 302
    assert "Thank you: your rating has been recorded." in messages_of(response)
    follow_up = FollowUp.objects.get(rater=eve)
    assert follow_up.recorded_by == eve.user and follow_up.method == "link"
    assert refreshed(replied).status == Case.Status.REPLIED  # Dora has not rated yet
    # Rated this round: the form is gone, and a second rating is refused.
    assert "rate" not in eves.get(detail(replied)).context["forms"]
    response = eves.post(detail(replied), {"action": "rate", "rating": "unsatisfied"})
    assert "This can no longer be done on this suggestion." in messages_of(response)
    assert FollowUp.objects.filter(rater=eve).count() == 1

    response = dora.post(
        detail(replied), {"action": "rate", "rating": "unsatisfied", "comment": "未说明资金来源"}
    )
    assert "The suggestion will be handled again." in " ".join(messages_of(response))
    replied = refreshed(replied)
    assert replied.status == Case.Status.REOPENED
    assert Assignment.objects.get(case=replied, role="lead").status == "active"


def test_a_rating_without_a_choice_is_refused_and_the_comment_kept(
    assigned, dora, transport_bureau, classes
):
    replied = reply_to_all(assigned, transport_bureau, classes["A"])
    response = dora.post(detail(replied), {"action": "rate", "comment": "还需跟进"})
    assert response.status_code == 200
    assert "rating" in response.context["forms"]["rate"].errors
    assert "还需跟进" in response.content.decode()
    assert not FollowUp.objects.exists()


def test_an_invited_deputy_who_did_not_confirm_does_not_rate(
    draft, eve, olga, deputy_user, county_clerk, transport_bureau, classes
):
    ds.deputy_suggestion_invite(suggestion=draft, user=deputy_user, deputies=[olga])
    ds.deputy_suggestion_submit(suggestion=draft, user=deputy_user)
    ds.deputy_suggestion_accept(suggestion=draft, user=county_clerk)
    services.case_assign(case=draft, lead=transport_bureau, actor=county_clerk)
    replied = reply_to_all(draft, transport_bureau, classes["A"])
    olgas = client_for(olga.user)
    page = olgas.get(detail(replied))
    assert page.status_code == 200 and page.context["forms"] == {}
    olgas.post(detail(replied), {"action": "rate", "rating": "satisfied"})
    assert not FollowUp.objects.exists()


def test_the_detail_page_runs_a_bounded_number_of_queries(
    assigned, dora, transport_bureau, classes, django_assert_max_num_queries
):
    replied = reply_to_all(assigned, transport_bureau, classes["A"])
    with django_assert_max_num_queries(16):
        assert dora.get(detail(replied)).status_code == 200


# --- A department answers a deputy suggestion -----------------------------------------


def test_the_lead_department_sees_the_suggestion_and_replies_to_each_signer(
    assigned, department_user, author, eve, classes
):
    dan = client_for(department_user)
    [row] = dan.get(reverse("suggestions:workspace")).context["rows"]
    assert row.assignment.case_id == assigned.pk
    assert row.reference == f"{assigned.year}-001"

    page = dan.get(work_item(assigned))
    assert page.status_code == 200
    text = page.content.decode()
    for shown in (f"{assigned.year}-001", "刘代表", "易代表", assigned.congress.name):
        assert shown in text
    assert eve.phone not in text and author.phone not in text  # names only
    assert 'name="action" value="spot"' not in text  # answered in writing, not on the spot
    form = page.context["reply_form"]
    assert [f.name for f in form.reply_fields] == [f"reply_{author.pk}", f"reply_{eve.pk}"]
    assert set(form.fields["result_class"].queryset) == {classes[c] for c in "ABC"}

    # One reply for the lead deputy alone is not enough: the input stays.
    response = dan.post(
        work_item(assigned),
        {
            "action": "reply",
            "result_class": classes["B"].pk,
            f"reply_{author.pk}": "已列入明年计划。",
        },
    )
    assert response.status_code == 200
    assert f"reply_{eve.pk}" in response.context["reply_form"].errors
    assert "已列入明年计划。" in response.content.decode()
    assert not Reply.objects.filter(case=assigned).exists()

    response = dan.post(
        work_item(assigned),
        {
            "action": "reply",
            "result_class": classes["B"].pk,
            f"reply_{author.pk}": "刘代表：已列入明年计划。",
            f"reply_{eve.pk}": "易代表：已列入明年计划。",
            "internal_note": "预算待批",
        },
    )
    assert response.status_code == 302
    assert "Your replies to the deputies have been saved." in messages_of(response)
    replied = refreshed(assigned)
    assert replied.status == Case.Status.REPLIED and replied.result_class == classes["B"]
    to = dict(Reply.objects.filter(case=assigned).values_list("addressee", "public_text"))
    assert to[author.pk] == "刘代表：已列入明年计划。" and to[eve.pk] == "易代表：已列入明年计划。"
    assert Notification.objects.filter(kind="rate", recipient=eve.user).exists()
    page = dan.get(work_item(assigned)).content.decode()
    assert "To 易代表" in page


def test_an_inactive_result_class_or_markup_is_refused(
    assigned, department_user, author, eve, classes
):
    dan = client_for(department_user)
    response = dan.post(
        work_item(assigned),
        {
            "action": "reply",
            "result_class": classes["X"].pk,
            f"reply_{author.pk}": "<b>已办</b>",
            f"reply_{eve.pk}": "已办",
        },
    )
    assert response.status_code == 200
    errors = response.context["reply_form"].errors
    assert "result_class" in errors and f"reply_{author.pk}" in errors
    assert "&lt;b&gt;已办&lt;/b&gt;" in response.content.decode()
    assert refreshed(assigned).status == Case.Status.ASSIGNED


def test_a_co_handler_gives_one_opinion(
    accepted, transport_bureau, water_bureau, county_clerk, classes
):
    services.case_assign(
        case=accepted, lead=transport_bureau, co_handlers=[water_bureau], actor=county_clerk
    )
    erin = client_for(water_bureau.users.get())
    page = erin.get(work_item(accepted))
    assert page.status_code == 200
    assert not page.context["deputy_reply"]
    assert "public_text" in page.context["reply_form"].fields
    response = erin.post(work_item(accepted), {"action": "reply", "public_text": "水利局无意见。"})
    assert response.status_code == 302
    assert Assignment.objects.get(case=accepted, department=water_bureau).status == "replied"
    assert refreshed(accepted).status == Case.Status.ASSIGNED  # the lead still answers


def test_a_department_sees_a_deputy_suggestion_only_when_assigned(
    accepted, transport_bureau, water_bureau, other_bureau, department_user, county_clerk
):
    dan = client_for(department_user)
    assert dan.get(work_item(accepted)).status_code == 404  # accepted, not yet assigned
    services.case_assign(case=accepted, lead=transport_bureau, actor=county_clerk)
    assert dan.get(work_item(accepted)).status_code == 200
    for bureau in (water_bureau, other_bureau):
        client = client_for(bureau.users.get())
        assert client.get(work_item(accepted)).status_code == 404
        assert client.post(work_item(accepted), {"action": "reply"}).status_code == 404
        assert client.get(reverse("suggestions:workspace")).context["rows"] == []
