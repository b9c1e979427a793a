"""The handling machinery, service by service (no broker: routing is called directly)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.models import Notification, OutboxMessage
from suggestions import privacy, services
from suggestions.models import Assignment, Case, Event, FollowUp, Suggestion
from tests.factories import make_department, make_rule


def kinds(case):
    return list(Event.objects.filter(case=case).order_by("id").values_list("kind", flat=True))


def test_a_submission_is_stored_with_a_receipt_sms_and_a_routing_task(submit):
    suggestion = submit()
    assert suggestion.status == "received"
    assert len(suggestion.tracking_code) >= 10
    assert not set(suggestion.tracking_code) & set("01OIL")
    assert kinds(suggestion) == ["received"]
    sms = Notification.objects.get(kind="receipt")
    assert sms.channel == "sms" and sms.address == "13800138000"
    assert suggestion.tracking_code in sms.body
    assert OutboxMessage.objects.filter(task="suggestions.tasks.route_case").count() == 1


def test_do_not_contact_means_no_sms(submit):
    submit(do_not_contact=True)
    assert not Notification.objects.filter(channel="sms").exists()


def test_the_same_submission_key_makes_one_item(submit):
    first = submit(submission_key="k-1")
    second = submit(submission_key="k-1")
    assert first.pk == second.pk
    assert Suggestion.objects.count() == 1


def test_routing_assigns_by_the_most_specific_rule(submit, roads_rule, xidu, roads):
    township_office = make_department("西渡镇人民政府", xidu)
    make_rule(xidu, township_office, days=5)  # catch-all for the township: nearer wins
    suggestion = submit()
    assignment = services.case_route(case_id=suggestion.pk)
    assert assignment.department == township_office
    assert assignment.time_limit_days == 5


def test_a_category_rule_beats_a_catch_all_rule_at_the_same_region(
    submit, roads_rule, hengyang_county, water_bureau
):
    make_rule(hengyang_county, water_bureau)  # catch-all
    assignment = services.case_route(case_id=submit().pk)
    assert assignment.department == roads_rule.department


def test_routing_twice_makes_one_assignment(submit, roads_rule):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    assert services.case_route(case_id=suggestion.pk) is None
    assert Assignment.objects.filter(case=suggestion).count() == 1
    suggestion.refresh_from_db()
    assert suggestion.status == "assigned" and suggestion.due_date


def test_without_a_rule_the_township_office_triages(submit, township_clerk, county_clerk):
    suggestion = submit()
    assert services.case_route(case_id=suggestion.pk) is None
    services.case_route(case_id=suggestion.pk)
    assert kinds(suggestion) == ["received", "awaiting_triage"]
    inbox = Notification.objects.filter(kind="triage", channel="inbox")
    assert {n.recipient for n in inbox} == {township_clerk, county_clerk}


def test_staff_split_an_item_to_a_lead_and_a_co_handler(
    submit, transport_bureau, water_bureau, county_clerk
):
    suggestion = submit()
    services.case_assign(
        case=suggestion, lead=transport_bureau, co_handlers=[water_bureau], actor=county_clerk
    )
    roles = dict(Assignment.objects.filter(case=suggestion).values_list("department", "role"))
    assert roles == {transport_bureau.pk: "lead", water_bureau.pk: "co"}


def test_a_department_of_another_county_cannot_be_assigned(submit, other_bureau, county_clerk):
    with pytest.raises(ValidationError):
        services.case_assign(case=submit(), lead=other_bureau, actor=county_clerk)


def test_reassigning_withdraws_the_old_lead(submit, roads_rule, water_bureau, county_clerk):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    services.case_assign(case=suggestion, lead=water_bureau, actor=county_clerk)
    statuses = dict(Assignment.objects.filter(case=suggestion).values_list("department", "status"))
    assert statuses == {roads_rule.department_id: "withdrawn", water_bureau.pk: "active"}
    assert kinds(suggestion)[-1] == "reassigned"


def test_reply_then_satisfied_closes(submit, roads_rule, department_user):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    services.case_reply(
        case=suggestion,
        department=roads_rule.department,
        author=department_user,
        public_text="已安排施工队修复。",
        internal_note="预算已批",
    )
    suggestion.refresh_from_db()
    assert suggestion.status == "replied"
    rate_sms = Notification.objects.get(kind="rate")
    assert "/rate/" in rate_sms.body
    services.case_rate(case=suggestion, rating="satisfied")
    suggestion.refresh_from_db()
    assert suggestion.status == "closed" and suggestion.outcome == "handled"
    with pytest.raises(ValidationError):
        services.case_rate(case=suggestion, rating="unsatisfied")


def test_unsatisfied_reopens_with_a_new_deadline_and_tells_department_and_office(
    submit, roads_rule, department_user, county_clerk
):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    services.case_reply(
        case=suggestion,
        department=roads_rule.department,
        author=department_user,
        public_text="已修",
    )
    services.case_rate(case=suggestion, rating="unsatisfied", comment="没修好")
    suggestion.refresh_from_db()
    assert suggestion.status == "reopened" and suggestion.reopen_count == 1
    lead = Assignment.objects.get(case=suggestion)
    assert lead.status == "active" and lead.due_date == suggestion.due_date
    assert Notification.objects.filter(kind="reopened", recipient=department_user).exists()
    assert Notification.objects.filter(kind="reopened", recipient=county_clerk).exists()
    # The new round has its own rating link.
    token = services.rating_token(suggestion)
    assert services.case_for_rating_token(token) == Case.objects.get(pk=suggestion.pk)


def test_an_old_rating_link_stops_working_after_reopening(submit, roads_rule, department_user):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    services.case_reply(
        case=suggestion,
        department=roads_rule.department,
        author=department_user,
        public_text="已修",
    )
    old = services.rating_token(suggestion)
    services.case_rate(case=suggestion, rating="unsatisfied")
    assert services.case_for_rating_token(old) is None
    assert services.case_for_rating_token(old + "x") is None


def test_no_rating_in_time_is_not_rated_never_satisfied(submit, roads_rule, department_user):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    services.case_reply(
        case=suggestion,
        department=roads_rule.department,
        author=department_user,
        public_text="已修",
    )
    later = suggestion.received_at + dt.timedelta(days=30)
    assert services.case_expire_ratings(now=later) == 1
    suggestion.refresh_from_db()
    assert suggestion.status == "closed" and suggestion.satisfaction == "not_rated"
    assert FollowUp.objects.get(case=suggestion).rating == "not_rated"


def test_a_department_returns_a_misassigned_item_to_the_office(
    submit, roads_rule, department_user, township_clerk
):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    with pytest.raises(ValidationError):
        services.case_return(
            case=suggestion, department=roads_rule.department, user=department_user, reason=" "
        )
    services.case_return(
        case=suggestion,
        department=roads_rule.department,
        user=department_user,
        reason="属镇政府职责",
    )
    suggestion.refresh_from_db()
    assert suggestion.status == "received" and suggestion.due_date is None
    assert Notification.objects.filter(kind="returned", recipient=township_clerk).exists()


def test_a_department_cannot_reply_to_an_item_it_does_not_hold(submit, roads_rule, water_bureau):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    with pytest.raises(ValidationError):
        services.case_reply(
            case=suggestion, department=water_bureau, author=None, public_text="不是我们的"
        )


def test_merged_constituents_get_the_final_reply(submit, roads_rule, department_user, county_clerk):
    primary = submit()
    duplicate = submit(phone="13700137000", title="村口路面坑洼")
    services.case_route(case_id=primary.pk)
    services.case_merge(primary=primary, duplicates=[duplicate], user=county_clerk)
    duplicate.refresh_from_db()
    assert duplicate.status == "merged" and duplicate.merged_into_id == primary.pk
    services.case_reply(
        case=primary, department=roads_rule.department, author=department_user, public_text="已修复"
    )
    sms = Notification.objects.get(kind="merged_reply")
    assert sms.address == "13700137000" and duplicate.tracking_code in sms.body


def test_items_of_different_townships_are_not_merged(submit, other_station, county_clerk):
    with pytest.raises(ValidationError):
        services.case_merge(
            primary=submit(), duplicates=[submit(station=other_station)], user=county_clerk
        )


def test_an_addressed_opinion_waits_for_its_deputy(
    submit, roads_rule, addressed_deputy, deputy_user
):
    suggestion = submit(deputy=addressed_deputy)
    assert services.case_route(case_id=suggestion.pk) is None
    assert Notification.objects.filter(kind="addressed", recipient=deputy_user).exists()
    services.suggestion_deputy_decide(
        suggestion=suggestion, user=deputy_user, decision="pass_on", text="请交通局处理"
    )
    assert services.case_route(case_id=suggestion.pk).department == roads_rule.department


def test_a_deputy_can_answer_on_the_spot_or_promote(submit, addressed_deputy, deputy_user):
    answered = submit(deputy=addressed_deputy)
    services.suggestion_deputy_decide(
        suggestion=answered, user=deputy_user, decision="on_spot", text="已当面解释政策"
    )
    answered.refresh_from_db()
    assert answered.status == "answered_on_spot"
    promoted = submit(deputy=addressed_deputy, title="全镇饮水工程")
    services.suggestion_deputy_decide(suggestion=promoted, user=deputy_user, decision="promote")
    promoted.refresh_from_db()
    assert promoted.status == "promoted" and promoted.year_end_sorting == "promoted"


def test_another_deputy_cannot_decide(submit, addressed_deputy, department_user):
    with pytest.raises(ValidationError):
        services.suggestion_deputy_decide(
            suggestion=submit(deputy=addressed_deputy), user=department_user, decision="promote"
        )


def test_staff_reject_a_matter_in_litigation_as_cannot_be_done(submit, county_clerk):
    suggestion = submit()
    with pytest.raises(ValidationError):
        services.case_close(case=suggestion, user=county_clerk, outcome="not_feasible", note="")
    services.case_close(
        case=suggestion, user=county_clerk, outcome="not_feasible", note="已进入诉讼程序"
    )
    suggestion.refresh_from_db()
    assert suggestion.status == "rejected" and suggestion.year_end_sorting == "not_feasible"


def test_the_timeline_is_append_only(submit):
    event = Event.objects.filter(case=submit()).first()
    event.public_text = "tampered"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        Event.objects.all().update(public_text="x")
    with pytest.raises(TypeError):
        event.delete()


def test_status_changes_follow_the_graph(submit):
    suggestion = submit()
    with pytest.raises(ValidationError):
        suggestion.transition("closed")


def test_each_handler_gets_one_morning_digest_a_day(submit, roads_rule, department_user):
    services.case_route(case_id=submit().pk)
    services.case_route(case_id=submit(title="桥面破损").pk)
    assert services.department_digests() == 1
    assert services.department_digests() == 0
    digest = Notification.objects.get(kind="digest")
    assert digest.recipient == department_user and "2" in digest.subject


def test_personal_data_is_removed_after_the_stated_period(submit, county_clerk, settings):
    settings.LIAISON_PERSONAL_DATA_DAYS = 30
    suggestion = submit()
    services.case_close(case=suggestion, user=county_clerk, outcome="not_feasible", note="诉讼中")
    suggestion.refresh_from_db()
    assert privacy.personal_data_expire(now=suggestion.closed_at + dt.timedelta(days=29)) == 0
    assert privacy.personal_data_expire(now=suggestion.closed_at + dt.timedelta(days=31)) == 1
    suggestion.refresh_from_db()
    assert suggestion.phone == "" and suggestion.name == "" and suggestion.anonymised_at
    assert suggestion.title  # the item itself stays for the ledger


def test_the_overdue_notice_is_e_mailed_to_a_supervisor(
    submit, transport_bureau, mailoutbox, settings
):
    from liaison.notifications import notification_deliver

    transport_bureau.supervisor_email = "director@example.gov.cn"
    transport_bureau.save()
    suggestion = submit()
    services.case_assign(case=suggestion, lead=transport_bureau, time_limit_days=1)
    Assignment.objects.update(due_date=dt.date(2020, 1, 2))
    services.deadlines_sweep()
    email = Notification.objects.get(channel="email")
    assert notification_deliver(notification_id=email.pk)
    assert mailoutbox[0].to == ["director@example.gov.cn"]
    assert suggestion.title in mailoutbox[0].subject


def test_a_co_handler_cannot_end_the_item_with_an_answer_on_the_spot(
    submit, transport_bureau, water_bureau, department_user
):
    suggestion = submit()
    services.case_assign(case=suggestion, lead=transport_bureau, co_handlers=[water_bureau])
    with pytest.raises(ValidationError):
        services.case_answer_on_spot(
            case=suggestion, user=department_user, public_text="已答复", department=water_bureau
        )
    with pytest.raises(ValidationError):
        services.case_answer_on_spot(case=suggestion, user=department_user, public_text="已答复")
    suggestion.refresh_from_db()
    assert suggestion.status == "assigned"


def test_similar_open_items_of_the_township_are_offered_for_merging(submit, other_station, water):
    from suggestions import selectors

    first = submit(title="村口道路坑洼", content="梅花村村口道路坑洼积水，雨天无法通行。")
    reworded = submit(title="村口路面坑洼", content="梅花村村口的路坑坑洼洼，一下雨就积水。")
    submit(title="学校周边交通安全", content="界牌中学门口放学时段车辆拥堵。", category=water)
    submit(station=other_station)  # the same words, another township
    assert [c.pk for c in selectors.similar_open_cases(case=first)] == [reworded.pk]


def test_a_photo_declaring_a_huge_canvas_is_refused_before_decoding(db):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (12_001, 4_000)).save(buffer, format="PNG")  # a few KB, 48 MP
    upload = SimpleUploadedFile("bomb.png", buffer.getvalue(), content_type="image/png")
    assert len(buffer.getvalue()) < 50_000
    with pytest.raises(ValidationError):
        services.photo_clean(upload)


def test_merging_an_item_that_has_merged_items_keeps_every_constituent(
    submit, roads_rule, department_user, county_clerk
):
    first, second, final = submit(phone="13700000001"), submit(phone="13700000002"), submit()
    services.case_merge(primary=second, duplicates=[first], user=county_clerk)
    services.case_merge(primary=final, duplicates=[second], user=county_clerk)
    assert set(Suggestion.objects.filter(merged_into=final).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    services.case_route(case_id=final.pk)
    services.case_reply(
        case=final, department=roads_rule.department, author=department_user, public_text="已修"
    )
    told = set(Notification.objects.filter(kind="merged_reply").values_list("address", flat=True))
    assert told == {"13700000001", "13700000002"}


def test_merged_constituents_hear_when_the_primary_cannot_be_done(submit, county_clerk):
    primary, duplicate = submit(), submit(phone="13700000003")
    services.case_merge(primary=primary, duplicates=[duplicate], user=county_clerk)
    services.case_close(case=primary, user=county_clerk, outcome="not_feasible", note="已进入诉讼")
    sms = Notification.objects.get(kind="merged_reply")
    assert sms.address == "13700000003" and "已进入诉讼" in sms.body
    assert Event.objects.filter(case=duplicate, kind="rejected").exists()


def test_the_lead_reply_ends_the_co_handlers_share(
    submit, transport_bureau, water_bureau, department_user
):
    suggestion = submit()
    services.case_assign(case=suggestion, lead=transport_bureau, co_handlers=[water_bureau])
    services.case_reply(
        case=suggestion, department=transport_bureau, author=department_user, public_text="已修"
    )
    services.case_rate(case=suggestion, rating="unsatisfied")
    statuses = dict(Assignment.objects.filter(case=suggestion).values_list("role", "status"))
    # Re-handling goes to the lead alone: the co-handler is not chased as overdue.
    assert statuses == {"lead": "active", "co": "withdrawn"}


def test_an_opinion_to_a_deputy_without_an_account_goes_to_the_office_and_is_routed(
    submit, roads_rule, xidu, township_clerk
):
    from tests.factories import DeputyFactory

    no_account = DeputyFactory(code="NOACC1", region=xidu)
    suggestion = submit(deputy=no_account)
    assert Notification.objects.filter(kind="addressed", recipient=township_clerk).exists()
    assert services.case_route(case_id=suggestion.pk).department == roads_rule.department


def test_an_opinion_the_deputy_leaves_alone_is_passed_on_after_the_limit(
    submit, roads_rule, addressed_deputy, settings
):
    settings.LIAISON_DEPUTY_DECISION_WORKDAYS = 5
    suggestion = submit(deputy=addressed_deputy)
    received = timezone.localdate()
    assert services.deputy_decisions_expire(today=received + dt.timedelta(days=2)) == 0
    assert services.deputy_decisions_expire(today=received + dt.timedelta(days=30)) == 1
    suggestion.refresh_from_db()
    assert suggestion.deputy_decision == "expired"
    assert services.case_route(case_id=suggestion.pk).department == roads_rule.department


def test_a_reopened_item_can_still_be_rejected(submit, roads_rule, department_user, county_clerk):
    suggestion = submit()
    services.case_route(case_id=suggestion.pk)
    services.case_reply(
        case=suggestion, department=roads_rule.department, author=department_user, public_text="x"
    )
    services.case_rate(case=suggestion, rating="unsatisfied")
    services.case_close(case=suggestion, user=county_clerk, outcome="not_feasible", note="诉讼中")
    suggestion.refresh_from_db()
    assert suggestion.status == "rejected"
    assert not Assignment.objects.filter(case=suggestion, status="active").exists()


def test_a_very_long_title_and_department_name_do_not_stop_the_sweep(submit, hengyang_county):
    from tests.factories import make_department

    long_named = make_department("局" * 100, hengyang_county)
    suggestion = submit(title="标" * 100)
    services.case_assign(case=suggestion, lead=long_named, time_limit_days=1)
    Assignment.objects.update(due_date=dt.date(2020, 1, 2))
    assert services.deadlines_sweep()["overdue"] == 1


def test_anonymising_also_clears_the_messages_sent_to_the_constituent(
    submit, county_clerk, settings
):
    settings.LIAISON_PERSONAL_DATA_DAYS = 1
    suggestion = submit()
    services.case_close(case=suggestion, user=county_clerk, outcome="not_feasible", note="诉讼中")
    suggestion.refresh_from_db()
    privacy.personal_data_expire(now=suggestion.closed_at + dt.timedelta(days=2))
    receipt = Notification.objects.get(kind="receipt")
    assert "13800138000" not in receipt.address and receipt.body == ""
