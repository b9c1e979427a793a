"""The reception ledger (接待记录) from the outside: the service, the deputies' pages and
the office's paper ledger in the admin.

Dora (刘代表) and Wang (王代表) are placed at the Xidu station in Hengyang county; Yun
is placed at the Yunji station in Hengnan county next door. Alice is the Hengyang
county clerk, Bob the Hengnan one. Matters passed on become constituent suggestions
through the same intake and routing as the web form.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liaison.models import Notification, OutboxMessage
from stations.models import Reception, ReceptionDay
from suggestions import receptions, services
from suggestions.models import (
    Assignment,
    Case,
    Category,
    Event,
    ReceptionMatter,
    Suggestion,
)
from tests.factories import DeputyFactory, make_user, place

PHONE = "13800138000"
MASKED_PHONE = "138****8000"
ROUTE_TASK = "suggestions.tasks.route_case"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def detail_url(reception) -> str:
    return reverse("suggestions:reception", args=[reception.pk])


def matter(**overrides) -> dict:
    return {
        "content": "梅花村村口道路坑洼积水，雨天无法通行，请尽快修复。",
        "category": overrides.pop("category", None),
        "handling": "passed_on",
        "answer": "",
        "name": "张三",
        "phone": PHONE,
    } | overrides


def nothing_stored() -> bool:
    return not (
        Reception.objects.exists()
        or ReceptionMatter.objects.exists()
        or Suggestion.objects.exists()
        or OutboxMessage.objects.exists()
    )


@pytest.fixture
def wang(xidu):
    return DeputyFactory(code="WANG01", name="王代表", region=xidu)


@pytest.fixture
def placed(station, addressed_deputy, wang):
    """Dora and Wang are placed at the Xidu station."""
    place(addressed_deputy, station)
    place(wang, station)
    return station


@pytest.fixture
def yun(other_station, yunji):
    """Yun is placed at the Yunji station, in the neighbouring county."""
    deputy = DeputyFactory(code="YUN001", name="云代表", region=yunji)
    place(deputy, other_station)
    return deputy


@pytest.fixture
def dora(deputy_user, addressed_deputy):
    return client_for(deputy_user)


@pytest.fixture
def log(placed, addressed_deputy, wang, deputy_user, roads):
    """Log a reception at Xidu through the service, as Dora on her phone."""

    def _log(**overrides):
        fields = {
            "station": placed,
            "date": timezone.localdate(),
            "deputies": [addressed_deputy, wang],
            "visitors": 5,
            "matters": [matter(category=roads)],
            "recorded_by": deputy_user,
            "source": Reception.Source.DEPUTY_PHONE,
        } | overrides
        return receptions.reception_log(**fields)

    return _log


@pytest.fixture
def yunji_reception(yun, other_station, admin_user, roads):
    """A reception at the neighbouring county's station, typed in by an administrator."""
    return receptions.reception_log(
        station=other_station,
        date=timezone.localdate(),
        deputies=[yun],
        visitors=2,
        matters=[matter(category=roads, content="云集镇街道路灯不亮")],
        recorded_by=admin_user,
        source=Reception.Source.PAPER_LEDGER,
    )


# --- The service: matters passed on go through the one intake and routing ----------------


def test_three_passed_on_matters_become_three_reception_suggestions_routed_like_web_ones(
    log, roads, roads_rule, transport_bureau, submit
):
    reception = log(
        matters=[
            matter(category=roads, content="梅花村村口道路坑洼积水"),
            matter(category=roads, content="西渡大桥桥面破损", phone=""),
            matter(category=roads, content="集镇路口红绿灯故障", name=""),
        ]
    )

    suggestions = Suggestion.objects.filter(reception_matter__reception=reception).order_by(
        "reception_matter__position"
    )
    assert [s.channel for s in suggestions] == ["reception"] * 3
    assert [s.title for s in suggestions] == [
        "梅花村村口道路坑洼积水",
        "西渡大桥桥面破损",
        "集镇路口红绿灯故障",
    ]
    assert {s.station_id for s in suggestions} == {reception.station_id}
    assert all(s.status == Case.Status.RECEIVED and s.consent_at for s in suggestions)
    # The same outbox task a web submission queues, one per suggestion.
    web = submit()
    queued = OutboxMessage.objects.filter(task=ROUTE_TASK)
    assert sorted(m.kwargs["case_id"] for m in queued) == sorted(
        [s.pk for s in suggestions] + [web.pk]
    )

    for suggestion in suggestions:
        assignment = services.case_route(case_id=suggestion.pk)
        assert assignment.department == transport_bureau
        assert assignment.role == Assignment.Role.LEAD
    assert set(Suggestion.objects.filter(channel="reception").values_list("status", flat=True)) == {
        Case.Status.ASSIGNED
    }


def test_the_ledger_and_the_suggestions_link_both_ways(log, roads, deputy_user):
    reception = log(matters=[matter(category=roads), matter(category=roads, content="路灯不亮")])

    matters = list(reception.matters.order_by("position"))
    assert [m.position for m in matters] == [1, 2]
    for item in matters:
        suggestion = item.suggestion
        assert suggestion.reception_matter == item
        assert suggestion.reception_matter.reception == reception
    # Staff reading the suggestion's timeline see where it came from.
    note = Event.objects.get(case=matters[0].suggestion, kind=Event.Kind.NOTE)
    assert not note.is_public
    assert note.data["reception"] == str(reception.pk)
    assert "西渡镇人大代表联络站" in note.note and "刘代表" in note.note
    assert note.actor == deputy_user


def test_a_passed_on_matters_name_and_phone_are_kept_once_on_its_suggestion(log, roads):
    reception = log(matters=[matter(category=roads, phone="+86 138-0013-8000")])

    item = reception.matters.get()
    assert (item.name, item.phone) == ("", "")
    assert (item.suggestion.name, item.suggestion.phone) == ("张三", PHONE)
    assert not item.suggestion.do_not_contact
    # The visitor gets the receipt with the tracking code, as a web submitter does.
    receipt = Notification.objects.get(kind="receipt")
    assert receipt.address == PHONE
    assert item.suggestion.tracking_code in receipt.body


def test_a_visitor_without_a_phone_is_not_contacted(log, roads):
    suggestion = log(matters=[matter(category=roads, phone="")]).matters.get().suggestion
    assert suggestion.do_not_contact
    assert not Notification.objects.filter(kind="receipt").exists()


def test_a_matter_answered_on_the_spot_creates_no_suggestion(log, roads):
    reception = log(
        matters=[
            matter(category=roads, handling="answered_on_spot", answer="已联系村委会，本周内修复。")
        ]
    )

    item = reception.matters.get()
    assert item.handling == ReceptionMatter.Handling.ANSWERED_ON_SPOT
    assert item.answer == "已联系村委会，本周内修复。"
    assert item.suggestion is None
    assert (item.name, item.phone) == ("张三", PHONE)
    assert not Suggestion.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_an_answer_on_the_spot_needs_the_answer(log, roads):
    with pytest.raises(ValidationError) as refused:
        log(matters=[matter(category=roads, handling="answered_on_spot", answer="  ")])
    assert "matters-0-answer" in refused.value.message_dict
    assert nothing_stored()


def test_a_long_matter_is_titled_by_its_first_thirty_characters(log, roads):
    content = (
        "梅花村村口道路坑洼积水，雨天无法通行，\n"
        "学生上学要绕行两公里，老人出行尤其不便，请尽快修复。"
    )
    suggestion = log(matters=[matter(category=roads, content=content)]).matters.get().suggestion
    assert suggestion.title == " ".join(content.split())[:30]
    assert len(suggestion.title) == 30
    assert suggestion.content == content


def test_a_refusal_by_the_intake_rolls_the_whole_reception_back(log, roads, monkeypatch):
    calls = []
    submit = services.suggestion_submit

    def refuse_the_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ValidationError({"category": ["This category was just closed."]})
        return submit(**kwargs)

    monkeypatch.setattr(services, "suggestion_submit", refuse_the_second)
    with pytest.raises(ValidationError) as refused:
        log(matters=[matter(category=roads), matter(category=roads, content="路灯不亮")])
    assert refused.value.message_dict == {"matters-1-category": ["This category was just closed."]}
    assert len(calls) == 2
    assert nothing_stored()


def test_a_scheduled_reception_day_is_linked(log, placed):
    today = timezone.localdate()
    day = ReceptionDay.objects.create(
        station=placed, date=today, start_time=dt.time(9), end_time=dt.time(11, 30)
    )
    assert log().reception_day == day
    assert log(date=today - dt.timedelta(days=1)).reception_day is None


def _bad_input(name, roads, yun, water):
    today = timezone.localdate()
    script = "<script>alert(1)</script>"
    return {
        "no deputies": ({"deputies": []}, "deputies"),
        "no deputy placed at the station": ({"deputies": [yun]}, "deputies"),
        "empty content": ({"matters": [matter(category=roads, content="  ")]}, "matters-0-content"),
        "content too long": (
            {"matters": [matter(category=roads, content="路" * 2001)]},
            "matters-0-content",
        ),
        "no category": ({"matters": [matter()]}, "matters-0-category"),
        "inactive category": ({"matters": [matter(category=water)]}, "matters-0-category"),
        "bad phone": ({"matters": [matter(category=roads, phone="12345")]}, "matters-0-phone"),
        "no matters": ({"matters": []}, "matters"),
        "51 matters": ({"matters": [matter(category=roads)] * 51}, "matters"),
        "future date": ({"date": today + dt.timedelta(days=1)}, "date"),
        "negative visitors": ({"visitors": -1}, "visitors"),
        "script in the content": (
            {"matters": [matter(category=roads, content=f"道路{script}")]},
            "matters-0-content",
        ),
        "script in the name": (
            {"matters": [matter(category=roads, name=script)]},
            "matters-0-name",
        ),
        "script in the answer": (
            {
                "matters": [
                    matter(category=roads, handling="answered_on_spot", answer=f"好的{script}")
                ]
            },
            "matters-0-answer",
        ),
        "script in the summary": ({"summary": script}, "summary"),
        "a later matter is refused": (
            {"matters": [matter(category=roads), matter(category=roads, content="")]},
            "matters-1-content",
        ),
    }[name]


BAD_INPUTS = [
    "no deputies",
    "no deputy placed at the station",
    "empty content",
    "content too long",
    "no category",
    "inactive category",
    "bad phone",
    "no matters",
    "51 matters",
    "future date",
    "negative visitors",
    "script in the content",
    "script in the name",
    "script in the answer",
    "script in the summary",
    "a later matter is refused",
]


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_refused_and_nothing_is_stored(case, log, roads, yun, water):
    Category.objects.filter(pk=water.pk).update(is_active=False)
    water.refresh_from_db()
    overrides, key = _bad_input(case, roads, yun, water)
    with pytest.raises(ValidationError) as refused:
        log(**overrides)
    assert key in refused.value.message_dict, refused.value.message_dict
    assert nothing_stored()


def test_fifty_matters_are_accepted(log, roads):
    reception = log(matters=[matter(category=roads, phone="")] * 50)
    assert reception.matters.count() == 50
    assert Suggestion.objects.filter(channel="reception").count() == 50


def test_a_deputy_cannot_log_at_a_station_they_are_not_placed_at(
    log, other_station, yun, deputy_user
):
    with pytest.raises(ValidationError) as refused:
        log(station=other_station, deputies=[yun])
    assert "station" in refused.value.message_dict
    assert nothing_stored()


def test_a_clerk_cannot_type_a_ledger_of_another_county(log, other_station, yun, county_clerk):
    with pytest.raises(ValidationError) as refused:
        log(
            station=other_station,
            deputies=[yun],
            recorded_by=county_clerk,
            source=Reception.Source.PAPER_LEDGER,
        )
    assert "station" in refused.value.message_dict
    assert nothing_stored()


def test_a_retried_submission_returns_the_same_reception(log, roads):
    first = log(submission_key="deputy:1:abcdefghijklmnopqrstuvwx")
    again = log(submission_key="deputy:1:abcdefghijklmnopqrstuvwx", visitors=9)
    assert again.pk == first.pk
    assert Reception.objects.count() == 1
    assert Suggestion.objects.count() == 1


def test_personal_data_of_on_the_spot_matters_is_removed_after_the_stated_period(
    log, roads, settings
):
    settings.LIAISON_PERSONAL_DATA_DAYS = 30
    today = timezone.localdate()
    old = log(
        date=today - dt.timedelta(days=31),
        matters=[matter(category=roads, handling="answered_on_spot", answer="已答复")],
    )
    recent = log(
        date=today - dt.timedelta(days=29),
        matters=[matter(category=roads, handling="answered_on_spot", answer="已答复")],
    )

    assert receptions.reception_personal_data_expire(today=today) == 1
    assert old.matters.values_list("name", "phone").get() == ("", "")
    assert recent.matters.values_list("name", "phone").get() == ("张三", PHONE)
    assert old.matters.get().content  # the ledger itself stays


# --- The deputy's pages: who may open what --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("suggestions:receptions", []),
        ("suggestions:reception_new", []),
        ("suggestions:reception", [1]),
    ],
)
def test_anonymous_visitors_are_sent_to_log_in(client, db, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=" + url


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("suggestions:receptions", []),
        ("suggestions:reception_new", []),
        ("suggestions:reception", [1]),
    ],
)
def test_only_deputies_with_a_deputy_record_may_open_the_ledger_pages(
    name, args, department_user, county_clerk, admin_user
):
    unlinked_deputy = make_user("derek", role="deputy")  # an account without a Deputy
    for user in (department_user, county_clerk, admin_user, unlinked_deputy):
        assert client_for(user).get(reverse(name, args=args)).status_code == 403, user


def test_a_deputy_sees_only_receptions_they_took_part_in_or_recorded(
    log, dora, wang, roads, yunji_reception, xidu
):
    wang.user = make_user("wanguser", role="deputy")
    wang.save()
    with_dora = log()
    without_dora = log(deputies=[wang])  # Dora typed it in for Wang
    wangs_own = log(deputies=[wang], recorded_by=wang.user)

    response = dora.get(reverse("suggestions:receptions"))
    assert response.status_code == 200
    assert {r.pk for r in response.context["page"]} == {with_dora.pk, without_dora.pk}
    assert dora.get(detail_url(with_dora)).status_code == 200
    assert dora.get(detail_url(without_dora)).status_code == 200
    assert dora.get(detail_url(wangs_own)).status_code == 404
    assert dora.get(detail_url(yunji_reception)).status_code == 404


def test_the_reception_page_lists_its_matters_with_tracking_codes_and_masked_phones(
    log, dora, roads
):
    reception = log(
        matters=[
            matter(category=roads),
            matter(
                category=roads,
                content="反映低保政策咨询",
                handling="answered_on_spot",
                answer="已当场解释低保申请条件。",
                name="李四",
                phone="13900139000",
            ),
        ]
    )
    passed_on = reception.matters.get(position=1).suggestion

    page = dora.get(detail_url(reception)).content.decode()
    assert passed_on.tracking_code in page
    assert passed_on.get_status_display() in page
    assert "已当场解释低保申请条件。" in page
    assert MASKED_PHONE in page and "139****9000" in page
    assert PHONE not in page and "13900139000" not in page
    assert "张三" not in page and "张*" in page


def test_the_reception_list_runs_a_bounded_number_of_queries(
    log, dora, roads, django_assert_max_num_queries
):
    for _number in range(3):
        log(matters=[matter(category=roads, phone="")] * 2)
    with django_assert_max_num_queries(8) as few:
        dora.get(reverse("suggestions:receptions"))
    for _number in range(22):
        log(matters=[matter(category=roads, phone="")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = dora.get(reverse("suggestions:receptions"))
    rows = list(response.context["page"])
    assert len(rows) == 20
    assert rows[-1].matter_count in (1, 2)
    assert dora.get(reverse("suggestions:receptions"), {"page": 2}).status_code == 200


# --- The deputy's form ---------------------------------------------------------------------


def form_data(station, deputies, *, matters=(), total=3, **overrides) -> dict:
    data = {
        "station": station.pk,
        "date": f"{timezone.localdate():%Y-%m-%d}",
        "deputies": [deputy.pk for deputy in deputies],
        "visitors": "6",
        "summary": "",
        "submission_key": "k" * 32,
        "matters-TOTAL_FORMS": str(max(total, len(matters))),
        "matters-INITIAL_FORMS": "0",
        "matters-MIN_NUM_FORMS": "0",
        "matters-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate(matters):
        for field, value in row.items():
            data[f"matters-{index}-{field}"] = value
    return data | overrides


def typed(roads, **overrides) -> dict:
    row = matter(category=roads) | overrides
    row["category"] = row["category"].pk if row["category"] else ""
    return row


def test_the_form_offers_the_deputys_stations_and_colleagues(dora, placed, wang, other_station):
    response = dora.get(reverse("suggestions:reception_new"))
    assert response.status_code == 200
    form = response.context["form"]
    assert [pk for pk, _label in form.fields["station"].choices] == [placed.pk]
    deputies = [pk for pk, _label in form.fields["deputies"].choices]
    assert deputies[0] == form.deputy.pk and wang.pk in deputies
    assert len(response.context["formset"].forms) == 3
    page = response.content.decode()
    assert "王代表" in page
    assert 'name="matters-TOTAL_FORMS"' in page
    assert "js/receptions.js" in page
    assert "data-matter-template" in page


def test_a_deputy_logs_a_reception_on_the_phone(dora, placed, addressed_deputy, wang, roads):
    rows = [
        typed(roads),
        typed(roads, content="路灯不亮", handling="answered_on_spot", answer="已报修。"),
    ]
    response = dora.post(
        reverse("suggestions:reception_new"),
        form_data(placed, [addressed_deputy, wang], matters=rows, summary="与镇政府联合接待"),
    )

    reception = Reception.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(reception)
    assert reception.source == Reception.Source.DEPUTY_PHONE
    assert reception.recorded_by == addressed_deputy.user
    assert set(reception.deputies.all()) == {addressed_deputy, wang}
    assert (reception.visitors, reception.summary) == (6, "与镇政府联合接待")
    assert reception.matters.count() == 2
    assert Suggestion.objects.filter(channel="reception").count() == 1
    assert dora.get(response["Location"]).status_code == 200


def test_a_resent_form_is_one_reception(dora, placed, addressed_deputy, roads):
    data = form_data(placed, [addressed_deputy], matters=[typed(roads)])
    first = dora.post(reverse("suggestions:reception_new"), data)
    second = dora.post(reverse("suggestions:reception_new"), data)
    assert first["Location"] == second["Location"]
    assert Reception.objects.count() == 1
    assert Suggestion.objects.count() == 1


def test_errors_are_shown_on_the_form_escaped_and_nothing_is_stored(
    dora, placed, addressed_deputy, roads
):
    rows = [
        typed(roads, content="<script>alert(1)</script>"),
        typed(roads, content="路灯", handling="answered_on_spot", answer=""),
        typed(roads, phone="12345"),
    ]
    response = dora.post(
        reverse("suggestions:reception_new"), form_data(placed, [addressed_deputy], matters=rows)
    )

    assert response.status_code == 200
    forms = response.context["formset"].forms
    assert "content" in forms[0].errors
    assert "answer" in forms[1].errors
    assert "phone" in forms[2].errors
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert nothing_stored()


def test_a_form_without_deputies_or_matters_is_refused(dora, placed):
    response = dora.post(reverse("suggestions:reception_new"), form_data(placed, []))
    assert response.status_code == 200
    assert "deputies" in response.context["form"].errors
    assert response.context["matters_errors"]
    assert nothing_stored()


def test_a_future_date_is_refused_on_the_form(dora, placed, addressed_deputy, roads):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = dora.post(
        reverse("suggestions:reception_new"),
        form_data(placed, [addressed_deputy], matters=[typed(roads)], date=f"{tomorrow:%Y-%m-%d}"),
    )
    assert "date" in response.context["form"].errors
    assert nothing_stored()


def test_the_form_refuses_another_station_and_its_deputies(
    dora, placed, addressed_deputy, other_station, yun, roads
):
    elsewhere = dora.post(
        reverse("suggestions:reception_new"),
        form_data(other_station, [yun], matters=[typed(roads)]),
    )
    assert "station" in elsewhere.context["form"].errors
    strangers = dora.post(
        reverse("suggestions:reception_new"),
        form_data(placed, [addressed_deputy, yun], matters=[typed(roads)]),
    )
    assert "deputies" in strangers.context["form"].errors
    assert nothing_stored()


def test_more_than_fifty_rows_are_refused(dora, placed, addressed_deputy, roads):
    response = dora.post(
        reverse("suggestions:reception_new"),
        form_data(placed, [addressed_deputy], matters=[typed(roads)] * 51),
    )
    assert response.status_code == 200
    assert response.context["formset"].non_form_errors()
    assert nothing_stored()


def test_adding_a_matter_without_the_script_keeps_what_was_typed(
    dora, placed, addressed_deputy, roads
):
    data = form_data(placed, [addressed_deputy], matters=[typed(roads, content="道路坑洼")])
    response = dora.post(reverse("suggestions:reception_new"), data | {"add_matter": "1"})
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 4
    page = response.content.decode()
    assert "道路坑洼" in page
    assert "errorlist" not in page
    assert nothing_stored()


def test_a_deputy_placed_nowhere_is_told_so(deputy_user, addressed_deputy):
    response = client_for(deputy_user).get(reverse("suggestions:reception_new"))
    assert response.status_code == 200
    assert not response.context["has_stations"]
    assert client_for(deputy_user).post(reverse("suggestions:reception_new"), {}).status_code == 200
    assert nothing_stored()


def test_the_form_needs_a_csrf_token(deputy_user, placed, addressed_deputy, roads):
    client = Client(enforce_csrf_checks=True)
    client.force_login(deputy_user)
    data = form_data(placed, [addressed_deputy], matters=[typed(roads)])
    assert client.post(reverse("suggestions:reception_new"), data).status_code == 403
    assert nothing_stored()


# --- The paper ledger in the admin --------------------------------------------------------


ADMIN_ADD = "admin:stations_reception_add"
ADMIN_LIST = "admin:stations_reception_changelist"


def admin_change(reception) -> str:
    return reverse("admin:stations_reception_change", args=[reception.pk])


def admin_data(station, deputies, matters, **overrides) -> dict:
    data = {
        "station": station.pk,
        "date": f"{timezone.localdate():%Y-%m-%d}",
        "deputies": [deputy.pk for deputy in deputies],
        "visitors": "12",
        "summary": "纸质台账补录",
        "form_key": "f" * 32,
        "matters-TOTAL_FORMS": str(len(matters)),
        "matters-INITIAL_FORMS": "0",
        "matters-MIN_NUM_FORMS": "0",
        "matters-MAX_NUM_FORMS": "50",
        "_save": "Save",
    }
    for index, row in enumerate(matters):
        data |= {f"matters-{index}-id": "", f"matters-{index}-reception": ""}
        for field, value in row.items():
            data[f"matters-{index}-{field}"] = value
    return data | overrides


@pytest.fixture
def alice(county_clerk):
    return client_for(county_clerk)


def test_a_paper_ledger_typed_in_the_admin_creates_the_suggestions(
    alice, county_clerk, placed, addressed_deputy, wang, roads, roads_rule, transport_bureau
):
    rows = [
        typed(roads),
        typed(roads, content="西渡大桥桥面破损", phone=""),
        typed(roads, content="路灯", handling="answered_on_spot", answer="已当场答复。"),
    ]
    response = alice.post(reverse(ADMIN_ADD), admin_data(placed, [addressed_deputy, wang], rows))

    reception = Reception.objects.get()
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response["Location"] == reverse(ADMIN_LIST)
    assert reception.source == Reception.Source.PAPER_LEDGER
    assert reception.recorded_by == county_clerk
    assert (reception.visitors, reception.summary) == (12, "纸质台账补录")
    assert set(reception.deputies.all()) == {addressed_deputy, wang}
    suggestions = Suggestion.objects.filter(reception_matter__reception=reception)
    assert suggestions.count() == 2
    assert set(suggestions.values_list("channel", flat=True)) == {"reception"}
    assert reception.matters.get(position=3).suggestion is None
    for suggestion in suggestions:
        assert OutboxMessage.objects.filter(task=ROUTE_TASK, kwargs={"case_id": suggestion.pk})
        assert services.case_route(case_id=suggestion.pk).department == transport_bureau


def test_a_double_click_on_save_is_one_reception(alice, placed, addressed_deputy, roads):
    data = admin_data(placed, [addressed_deputy], [typed(roads)])
    alice.post(reverse(ADMIN_ADD), data)
    alice.post(reverse(ADMIN_ADD), data)
    assert Reception.objects.count() == 1
    assert Suggestion.objects.count() == 1


def test_the_admin_refuses_what_the_service_refuses(alice, placed, addressed_deputy, yun, roads):
    rows = [typed(roads, handling="answered_on_spot", answer=""), typed(roads, phone="12")]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = alice.post(
        reverse(ADMIN_ADD),
        admin_data(placed, [yun], rows, date=f"{tomorrow:%Y-%m-%d}", summary="<b>x</b>"),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert {"date", "deputies", "summary"} <= set(form.errors)
    [formset] = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert "answer" in formset.forms[0].errors
    assert "phone" in formset.forms[1].errors
    assert nothing_stored()


def test_the_admin_needs_at_least_one_matter(alice, placed, addressed_deputy):
    response = alice.post(reverse(ADMIN_ADD), admin_data(placed, [addressed_deputy], []))
    assert response.status_code == 200
    [formset] = [inline.formset for inline in response.context["inline_admin_formsets"]]
    assert formset.non_form_errors()
    assert nothing_stored()


def test_county_clerk_sees_only_own_county_receptions(
    alice, other_county_clerk, log, yunji_reception
):
    own = log()
    response = alice.get(reverse(ADMIN_LIST))
    assert response.status_code == 200
    assert {r.pk for r in response.context["cl"].result_list} == {own.pk}
    assert alice.get(admin_change(yunji_reception)).status_code == 404
    assert alice.get(admin_change(own)).status_code == 200

    bob = client_for(other_county_clerk)
    listed = bob.get(reverse(ADMIN_LIST)).context["cl"].result_list
    assert {r.pk for r in listed} == {yunji_reception.pk}
    assert bob.get(admin_change(own)).status_code == 404


def test_the_changelist_counts_deputies_and_matters(alice, log, roads, wang):
    log(matters=[matter(category=roads, phone="")] * 3)
    response = alice.get(reverse(ADMIN_LIST))
    [row] = response.context["cl"].result_list
    assert (row.deputy_total, row.matter_total) == (2, 3)
    page = response.content.decode()
    assert "西渡镇人大代表联络站" in page


def test_the_changelist_runs_a_bounded_number_of_queries(
    alice, log, roads, django_assert_max_num_queries
):
    log()
    with django_assert_max_num_queries(15) as few:
        alice.get(reverse(ADMIN_LIST))
    for _number in range(10):
        log(matters=[matter(category=roads, phone="")] * 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice.get(reverse(ADMIN_LIST))


def test_logged_matters_are_read_only_and_link_to_their_suggestions(
    alice, log, roads, addressed_deputy
):
    reception = log(
        matters=[
            matter(category=roads),
            matter(
                category=roads, handling="answered_on_spot", answer="已答复", phone="13900139000"
            ),
        ]
    )
    suggestion = reception.matters.get(position=1).suggestion

    response = alice.get(admin_change(reception))
    page = response.content.decode()
    assert suggestion.tracking_code in page
    assert reverse("admin:suggestions_suggestion_change", args=[suggestion.pk]) in page
    assert "139****9000" in page and "13900139000" not in page
    assert 'name="matters-0-content"' not in page
    [inline] = response.context["inline_admin_formsets"]
    assert not inline.has_add_permission and not inline.has_change_permission

    # A correction of the count and the deputies present goes through; the matters stay.
    data = {
        "deputies": [addressed_deputy.pk],
        "visitors": "8",
        "summary": "更正人数",
        "matters-TOTAL_FORMS": "2",
        "matters-INITIAL_FORMS": "2",
        "matters-MIN_NUM_FORMS": "0",
        "matters-MAX_NUM_FORMS": "50",
        "matters-0-id": reception.matters.get(position=1).pk,
        "matters-0-content": "篡改",
        "matters-1-id": reception.matters.get(position=2).pk,
        "_save": "Save",
    }
    assert alice.post(admin_change(reception), data).status_code == 302
    reception.refresh_from_db()
    assert (reception.visitors, reception.summary) == (8, "更正人数")
    assert list(reception.deputies.all()) == [addressed_deputy]
    assert reception.matters.get(position=1).content != "篡改"


def test_clerks_cannot_delete_receptions(alice, log):
    reception = log()
    assert (
        alice.post(
            reverse("admin:stations_reception_delete", args=[reception.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Reception.objects.filter(pk=reception.pk).exists()


def test_deputies_and_handlers_cannot_reach_the_ledger_admin(deputy_user, department_user, db):
    for user in (deputy_user, department_user):
        response = client_for(user).get(reverse(ADMIN_LIST))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_each_deputy_present_earns_the_reception_points_once_and_corrections_follow(
    log, addressed_deputy, wang, county_clerk, xidu
):
    from stations.models import PointEntry
    from tests.factories import make_rule_for_points

    make_rule_for_points(xidu, "reception_logged", 5)
    reception = log()
    earned = dict(PointEntry.objects.values_list("deputy", "points"))
    assert earned == {addressed_deputy.pk: 5, wang.pk: 5}
    # The office finds Wang was not there after all.
    receptions.reception_correct(
        reception=reception, deputies=[addressed_deputy], visitors=5, summary="", user=county_clerk
    )
    assert list(PointEntry.objects.values_list("deputy", flat=True)) == [addressed_deputy.pk]
