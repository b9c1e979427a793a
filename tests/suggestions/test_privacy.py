"""Constituents' personal data from the outside (PIPL): masked on every page, revealed one
field at a time with a log row, removed after the stated period by the nightly job, and
exported or erased for one person on request, by county offices and up, in their own
jurisdiction only.

Zhang San (张三, 13800138000) wrote twice to the Xidu station (Hengyang county) and once
to the Yunji station next door (Hengnan county), and raised a matter answered on the spot
at a Xidu reception. Alice is the Hengyang county clerk, Bob the Hengnan one, Tina the
Xidu township clerk.
"""

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from liaison import crypto
from liaison.models import Notification
from liaison.notifications import notification_deliver
from stations.models import Reception
from suggestions import privacy, receptions, services, tasks
from suggestions.models import (
    Event,
    PersonalDataAccess,
    PersonalDataRequest,
    Photo,
    ReceptionMatter,
    Suggestion,
)
from tests.factories import DeputyFactory, place

NAME, PHONE = "张三", "13800138000"
PAGE = "admin:suggestions_suggestion_personal_data"


def photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (180, 40, 50)).save(buffer, format="JPEG")
    return SimpleUploadedFile("me.jpg", buffer.getvalue(), content_type="image/jpeg")


def closed(suggestion, user) -> Suggestion:
    services.case_close(case=suggestion, user=user, outcome="not_feasible", note="诉讼中")
    suggestion.refresh_from_db()
    return suggestion


def reveal_url(item, field="phone") -> str:
    url = reverse("admin:suggestions_suggestion_reveal_phone", args=[item.pk])
    return f"{url}?field={field}"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def person(submit, other_station, station, roads, admin_user):
    """Zhang San's items: two at Xidu (one with a photo), one at Yunji, one on-the-spot
    matter at a Xidu reception; and someone else's opinion at Xidu."""
    deputy = DeputyFactory(code="PRV001", name="陈代表", region=station.region)
    place(deputy, station)
    reception = receptions.reception_log(
        station=station,
        date=timezone.localdate(),
        deputies=[deputy],
        visitors=1,
        matters=[
            {
                "content": "村口路灯不亮",
                "category": roads,
                "handling": "answered_on_spot",
                "answer": "已联系电工今晚修复。",
                "name": NAME,
                "phone": PHONE,
            }
        ],
        recorded_by=admin_user,
        source=Reception.Source.PAPER_LEDGER,
    )
    return {
        "xidu": submit(name=NAME, phone=PHONE, photos=[photo()]),
        "xidu2": submit(name=NAME, phone="+86 138 0013 8000", title="桥面破损"),
        "yunji": submit(station=other_station, name=NAME, phone=PHONE, title="云集镇路灯"),
        "matter": reception.matters.get(),
        "other": submit(name="李四", phone="13900139000", title="别人的意见"),
    }


# --- Masked by default -------------------------------------------------------------------------


def test_the_item_page_masks_name_and_phone_and_offers_a_reveal_for_each(
    client, county_clerk, person
):
    client.force_login(county_clerk)
    item = person["xidu"]
    page = client.get(reverse("admin:suggestions_suggestion_change", args=[item.pk]))
    html = page.content.decode()
    assert "张*" in html and "138****8000" in html
    assert NAME not in html and PHONE not in html
    assert reveal_url(item, "name") in html and reveal_url(item, "phone") in html


def test_revealing_the_name_shows_it_once_and_logs_who_when_which_item_and_field(
    client, county_clerk, person
):
    client.force_login(county_clerk)
    item = person["xidu"]
    form = client.get(reveal_url(item, "name")).content.decode()
    assert NAME not in form and "张*" in form  # the page before the POST shows it masked
    assert not PersonalDataAccess.objects.exists()
    response = client.post(reveal_url(item, "name"), {"field": "name", "reason": "电话回访"})
    assert NAME in response.content.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.case_id, access.field) == (county_clerk, item.pk, "name")
    assert access.region_id == item.region_id and access.created_at


def test_an_on_the_spot_matter_is_masked_in_the_reception_and_revealed_with_a_log(
    client, county_clerk, other_county_clerk, person
):
    matter = person["matter"]
    client.force_login(county_clerk)
    page = client.get(reverse("admin:stations_reception_change", args=[matter.reception_id]))
    html = page.content.decode()
    assert "张*" in html and "138****8000" in html
    assert NAME not in html and PHONE not in html
    url = reverse("admin:suggestions_suggestion_reveal_matter", args=[matter.pk])
    assert PHONE in client.post(url, {"field": "phone"}).content.decode()
    access = PersonalDataAccess.objects.get()
    assert (access.matter_id, access.case_id, access.field) == (matter.pk, None, "phone")

    client.force_login(other_county_clerk)
    assert client.post(url, {"field": "phone"}).status_code == 404
    assert PersonalDataAccess.objects.count() == 1
    log = client.get(reverse("admin:suggestions_personaldataaccess_changelist"))
    assert list(log.context["cl"].result_list) == []  # another county's reveals


def test_the_ledger_export_masks_names_and_phones(client, county_clerk, person):
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:suggestions_suggestion_export"), {"format": "0", "resource": "0"}
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = {str(cell.value) for row in sheet.iter_rows() for cell in row}
    assert "张*" in cells
    assert not any(NAME in cell or PHONE in cell for cell in cells)


def test_the_staff_api_masks_names_and_phones(client, county_clerk, person):
    client.force_login(county_clerk)
    body = client.get(reverse("suggestions:api_staff_list")).content.decode()
    assert "张*" in body and "138****8000" in body
    assert NAME not in body and PHONE not in body


def test_a_sent_sms_keeps_the_number_masked(submit):
    submit(name=NAME, phone=PHONE)
    receipt = Notification.objects.get(kind="receipt")
    assert receipt.address == PHONE  # needed until it is sent
    assert notification_deliver(notification_id=receipt.pk)
    receipt.refresh_from_db()
    assert receipt.status == Notification.Status.SENT and receipt.address == "138****8000"


def test_the_audit_trail_keeps_masked_values_and_no_phone_index(person):
    from auditlog.models import LogEntry

    entry = LogEntry.objects.get_for_object(person["xidu"]).order_by("pk").first()
    changes = json.dumps(entry.changes, ensure_ascii=False)
    assert "phone_hmac" not in changes and crypto.phone_index(PHONE) not in changes
    assert NAME not in changes and PHONE not in changes


# --- Kept for the stated period, then removed ---------------------------------------------------


def test_the_nightly_job_removes_names_phones_and_photos_of_items_closed_long_ago(
    person, county_clerk, settings, django_capture_on_commit_callbacks
):
    settings.LIAISON_PERSONAL_DATA_DAYS = 30
    old = closed(person["xidu"], county_clerk)
    stored_photo = Photo.objects.get(suggestion=old)
    storage, file_name = stored_photo.image.storage, stored_photo.image.name
    assert storage.exists(file_name)
    later = old.closed_at + dt.timedelta(days=31)

    with django_capture_on_commit_callbacks(execute=True):
        assert privacy.personal_data_expire(now=later) == 1
    old.refresh_from_db()
    assert (old.name, old.phone, old.phone_hmac) == ("", "", "")
    assert old.anonymised_at == later and old.content  # the item itself stays
    assert not Photo.objects.filter(suggestion=old).exists()
    assert not storage.exists(file_name)
    receipt = Notification.objects.get(dedupe_key=f"case:{old.pk}:receipt")
    assert receipt.address == "138****8000" and receipt.body == ""
    # Open items and the other items keep theirs; a second run does nothing.
    assert Suggestion.objects.get(pk=person["xidu2"].pk).phone == PHONE
    assert privacy.personal_data_expire(now=later) == 0


def test_an_item_closed_recently_or_still_open_keeps_its_data(person, county_clerk, settings):
    settings.LIAISON_PERSONAL_DATA_DAYS = 30
    item = closed(person["xidu"], county_clerk)
    assert privacy.personal_data_expire(now=item.closed_at + dt.timedelta(days=29)) == 0
    assert Suggestion.objects.get(pk=item.pk).phone == PHONE


def expired_items(count, submit, user) -> None:
    for i in range(count):
        closed(submit(title=f"第{i}件", phone=f"1380013{i:04d}", photos=[photo()]), user)


def test_the_job_takes_as_many_queries_for_thirty_items_as_for_two(
    submit, county_clerk, settings, django_assert_max_num_queries
):
    settings.LIAISON_PERSONAL_DATA_DAYS = 30
    later = timezone.now() + dt.timedelta(days=31)
    expired_items(2, submit, county_clerk)
    with CaptureQueriesContext(connection) as few:
        assert privacy.personal_data_expire(now=later) == 2
    assert len(few) == 8
    expired_items(30, submit, county_clerk)
    # Select the batch, its photos, delete them, clear the items, mask their SMS, and
    # the empty select that ends the loop (plus savepoints): whatever the batch's size.
    with django_assert_max_num_queries(len(few)):
        assert privacy.personal_data_expire(now=later) == 30


def test_the_job_works_through_a_backlog_in_batches(submit, county_clerk, settings):
    settings.LIAISON_PERSONAL_DATA_DAYS = 30
    made = [closed(submit(title=f"第{i}件"), county_clerk) for i in range(5)]
    later = timezone.now() + dt.timedelta(days=31)
    assert privacy.personal_data_expire(now=later, batch_size=2) == 5
    assert not Suggestion.objects.filter(pk__in=[s.pk for s in made], anonymised_at=None)


def test_beat_runs_the_job_every_night(person, county_clerk, settings):
    entry = settings.CELERY_BEAT_SCHEDULE["suggestions-expire-personal-data"]
    assert entry["task"] == "suggestions.tasks.expire_personal_data"
    settings.LIAISON_PERSONAL_DATA_DAYS = 0
    closed(person["xidu"], county_clerk)
    assert tasks.expire_personal_data() >= 1
    assert Suggestion.objects.get(pk=person["xidu"].pk).anonymised_at


# --- One person's request: who may ------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("deputy_user", 302),
        ("department_user", 302),
        ("township_clerk", 403),
        ("county_clerk", 200),
        ("other_county_clerk", 200),
        ("city_clerk", 200),
        ("admin_user", 200),
    ],
)
def test_who_may_open_the_request_page(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(PAGE)).status_code == status


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse(PAGE))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_changelist_links_the_page_for_those_who_may_use_it(
    client, county_clerk, township_clerk
):
    changelist = reverse("admin:suggestions_suggestion_changelist")
    client.force_login(county_clerk)
    assert reverse(PAGE) in client.get(changelist).content.decode()
    client.force_login(township_clerk)
    assert reverse(PAGE) not in client.get(changelist).content.decode()


def test_the_services_refuse_a_township_clerk(person, township_clerk):
    with pytest.raises(PermissionDenied):
        privacy.personal_data_export(phone=PHONE, user=township_clerk)
    with pytest.raises(PermissionDenied):
        privacy.personal_data_erase(phone=PHONE, user=township_clerk)
    assert Suggestion.objects.get(pk=person["xidu"].pk).phone == PHONE


# --- Export ---------------------------------------------------------------------------------------


def test_finding_lists_the_persons_items_of_the_clerks_county_masked(client, county_clerk, person):
    client.force_login(county_clerk)
    response = client.post(reverse(PAGE), {"phone": "138-0013-8000", "_find": "1"})
    found = response.context["found"]
    assert {s.pk for s in found["suggestions"]} == {person["xidu"].pk, person["xidu2"].pk}
    assert [m.pk for m in found["matters"]] == [person["matter"].pk]
    html = response.content.decode()
    assert "张*" in html and NAME not in html


def test_the_export_is_the_persons_data_in_the_clerks_county_and_is_logged_by_hash(
    client, county_clerk, person
):
    client.force_login(county_clerk)
    response = client.post(reverse(PAGE), {"phone": PHONE, "reason": "来信", "_export": "1"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    codes = {row["tracking_code"] for row in data["opinions"]}
    assert codes == {person["xidu"].tracking_code, person["xidu2"].tracking_code}
    assert {row["name"] for row in data["opinions"]} == {NAME}
    assert {row["phone"] for row in data["opinions"]} == {PHONE}
    assert [row["content"] for row in data["reception_matters"]] == ["村口路灯不亮"]

    logged = PersonalDataRequest.objects.get()
    assert (logged.kind, logged.user, logged.region_id) == ("export", county_clerk, "430421000000")
    assert logged.phone_hmac == crypto.phone_index(PHONE)
    assert set(logged.suggestions) == {person["xidu"].pk, person["xidu2"].pk}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM suggestions_personaldatarequest")
        assert PHONE not in " ".join(map(str, cursor.fetchone()))


def test_a_wrong_number_is_refused_and_nothing_logged(client, county_clerk, person):
    client.force_login(county_clerk)
    response = client.post(reverse(PAGE), {"phone": "8000", "_export": "1"})
    assert response.status_code == 200 and response.context["form"].errors["phone"]
    assert not PersonalDataRequest.objects.exists()


# --- Erase ----------------------------------------------------------------------------------------


def test_erasing_needs_the_confirmation(client, county_clerk, person):
    client.force_login(county_clerk)
    response = client.post(reverse(PAGE), {"phone": PHONE, "_erase": "1"})
    assert response.context["form"].errors["confirm"]
    assert Suggestion.objects.get(pk=person["xidu"].pk).phone == PHONE
    assert not PersonalDataRequest.objects.exists()


def test_erasing_removes_the_persons_data_in_the_clerks_county_only(
    client, county_clerk, person, django_capture_on_commit_callbacks
):
    client.force_login(county_clerk)
    file_name = Photo.objects.get(suggestion=person["xidu"]).image.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(PAGE), {"phone": PHONE, "reason": "本人来电", "confirm": "on", "_erase": "1"}
        )
    assert response.status_code == 302

    for key in ("xidu", "xidu2"):
        item = Suggestion.objects.get(pk=person[key].pk)
        assert (item.name, item.phone, item.phone_hmac) == ("", "", "")
        assert item.anonymised_at and item.content
        note = Event.objects.filter(case=item, kind="note", is_public=False).last()
        assert note.actor == county_clerk
    assert not Photo.objects.filter(suggestion=person["xidu"]).exists()
    assert not default_storage.exists(file_name)
    assert ReceptionMatter.objects.values_list("name", "phone", "phone_hmac").get(
        pk=person["matter"].pk
    ) == ("", "", "")
    # The neighbouring county's item of the same person, and someone else's, are untouched.
    yunji = Suggestion.objects.get(pk=person["yunji"].pk)
    assert (yunji.name, yunji.phone, yunji.anonymised_at) == (NAME, PHONE, None)
    assert Suggestion.objects.get(pk=person["other"].pk).name == "李四"

    logged = PersonalDataRequest.objects.get()
    assert logged.kind == "erase" and logged.user == county_clerk
    assert set(logged.suggestions) == {person["xidu"].pk, person["xidu2"].pk}
    assert logged.matters == [person["matter"].pk]
    assert logged.phone_hmac == crypto.phone_index(PHONE)


def test_the_other_county_erases_only_its_own(client, other_county_clerk, person):
    client.force_login(other_county_clerk)
    client.post(reverse(PAGE), {"phone": PHONE, "confirm": "on", "_erase": "1"})
    assert Suggestion.objects.get(pk=person["yunji"].pk).phone == ""
    assert Suggestion.objects.get(pk=person["xidu"].pk).phone == PHONE
    assert ReceptionMatter.objects.get(pk=person["matter"].pk).phone == PHONE


def test_an_administrator_erases_everywhere(person, admin_user):
    counts = privacy.personal_data_erase(phone=PHONE, user=admin_user)
    assert counts == {"suggestions": 3, "matters": 1}
    assert not Suggestion.objects.filter(phone_hmac=crypto.phone_index(PHONE)).exists()
    assert PersonalDataRequest.objects.get().region_id is None


def test_the_request_log_is_scoped_to_the_clerks_jurisdiction(
    client, county_clerk, other_county_clerk, township_clerk, person
):
    privacy.personal_data_export(phone=PHONE, user=county_clerk)
    changelist = reverse("admin:suggestions_personaldatarequest_changelist")
    client.force_login(county_clerk)
    assert len(client.get(changelist).context["cl"].result_list) == 1
    client.force_login(other_county_clerk)
    assert len(client.get(changelist).context["cl"].result_list) == 0
    client.force_login(township_clerk)
    assert client.get(changelist).status_code == 403
