"""The constituents' pages: the opinion form, the receipt, tracking, rating, rate limits.

Assertions stay on what does not change with the translation: stored rows, status codes,
form error keys, tracking codes and the escaping of what people typed.
"""

import io
import re
import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from liaison import ratelimit
from liaison.models import Notification
from suggestions import services
from suggestions.models import Event, FollowUp, Photo, Suggestion
from suggestions.views.public import RECEIPT_SESSION_KEY
from tests.factories import StationFactory, make_category, place

SQL = "'; DROP TABLE suggestions_case; --"
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def station_url(station) -> str:
    return reverse("suggestions:submit_station", args=[station.code])


def form_data(**overrides) -> dict:
    """A valid form as a browser sends it; an override of None leaves the field out."""
    data = {
        "category": "roads",
        "title": "村口道路坑洼",
        "content": "西渡镇梅花村村口道路坑洼积水，雨天无法通行，请尽快修复。",
        "name": "张三",
        "phone": "13800138000",
        "consent": "on",
        "submission_key": secrets.token_urlsafe(24),
    } | overrides
    return {key: value for key, value in data.items() if value is not None}


def image_upload(name="photo.jpg", fmt="JPEG", size=(16, 12)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 40, 50)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def errors_of(response) -> dict:
    return response.context["form"].errors


def replied(submit, rule, author, *, do_not_contact=False) -> Suggestion:
    """An opinion routed by ``rule`` and replied to by its department."""
    suggestion = submit(do_not_contact=do_not_contact)
    services.case_route(case_id=suggestion.pk)
    services.case_reply(
        case=suggestion,
        department=rule.department,
        author=author,
        public_text="已安排施工队于本月底前修复。",
        internal_note="预算已批，内部备注",
    )
    suggestion.refresh_from_db()
    return suggestion


def track_post(client, code: str, last4: str):
    return client.post(reverse("suggestions:track"), {"code": code, "last4": last4})


# --- The form ----------------------------------------------------------------------------


def test_constituent_sees_the_station_name_not_a_station_list(client, station, roads):
    response = client.get(station_url(station))
    assert response.status_code == 200
    page = response.content.decode()
    assert station.name in page
    assert 'name="station"' not in page
    assert 'value="roads"' in page
    assert 'accept="image/*"' in page and "multiple" in page
    assert 'enctype="multipart/form-data"' in page
    assert response["Cache-Control"].startswith("max-age=0")
    key = response.context["form"]["submission_key"].value()
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", key)
    assert f'value="{key}"' in page


def test_constituent_gets_a_fresh_submission_key_on_each_visit(client, station, roads):
    first = client.get(station_url(station)).context["form"]["submission_key"].value()
    second = client.get(station_url(station)).context["form"]["submission_key"].value()
    assert first != second


def test_inactive_categories_are_not_offered(client, station, roads):
    closed = make_category("old", "旧类别")
    closed.is_active = False
    closed.save()
    page = client.get(station_url(station)).content.decode()
    assert 'value="roads"' in page and 'value="old"' not in page


@pytest.mark.parametrize("code", ["NOPE99", "xd001"])
def test_unknown_station_code_is_404(client, station, roads, code):
    assert client.get(reverse("suggestions:submit_station", args=[code])).status_code == 404
    response = client.post(reverse("suggestions:submit_station", args=[code]), form_data())
    assert response.status_code == 404
    assert Suggestion.objects.count() == 0


def test_closed_station_is_404(client, station, roads):
    station.is_active = False
    station.save()
    assert client.get(station_url(station)).status_code == 404
    assert client.post(station_url(station), form_data()).status_code == 404
    assert Suggestion.objects.count() == 0


def test_unknown_or_inactive_deputy_is_404(client, addressed_deputy, roads):
    assert client.get(reverse("suggestions:submit_deputy", args=["NOBODY"])).status_code == 404
    addressed_deputy.is_active = False
    addressed_deputy.save()
    url = reverse("suggestions:submit_deputy", args=[addressed_deputy.code])
    assert client.get(url).status_code == 404


# --- Submitting ----------------------------------------------------------------------------


def test_constituent_submits_and_lands_on_the_receipt(client, station, roads):
    response = client.post(station_url(station), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("suggestions:receipt")
    suggestion = Suggestion.objects.get()
    assert suggestion.channel == "web"
    assert suggestion.station == station and suggestion.region == station.region
    assert suggestion.category == roads
    assert suggestion.phone == "13800138000" and suggestion.name == "张三"
    assert suggestion.consent_at is not None and suggestion.consent_version
    assert suggestion.submission_key.startswith("web:")
    assert suggestion.tracking_code not in response["Location"]
    sms = Notification.objects.get(kind="receipt")
    assert sms.channel == "sms" and sms.address == "13800138000"
    assert suggestion.tracking_code in sms.body

    receipt = client.get(response["Location"])
    assert receipt.status_code == 200
    page = receipt.content.decode()
    assert suggestion.tracking_code in page
    assert reverse("suggestions:track") in page
    assert "138****8000" in page and "13800138000" not in page
    assert receipt.context["receipt"]["sms"] is True


def test_the_receipt_is_shown_once(client, station, roads):
    # On a shared phone or kiosk the next person must not find the code.
    client.post(station_url(station), form_data())
    code = Suggestion.objects.get().tracking_code
    assert code in client.get(reverse("suggestions:receipt")).content.decode()
    assert client.get(reverse("suggestions:receipt"))["Location"] == reverse("suggestions:track")


def test_receipt_without_a_submission_sends_to_tracking(client, db):
    response = client.get(reverse("suggestions:receipt"))
    assert response.status_code == 302
    assert response["Location"] == reverse("suggestions:track")


def test_do_not_contact_sends_no_sms_and_says_so(client, station, roads):
    client.post(station_url(station), form_data(do_not_contact="on"))
    suggestion = Suggestion.objects.get()
    assert suggestion.do_not_contact
    assert not Notification.objects.filter(channel="sms").exists()
    receipt = client.get(reverse("suggestions:receipt"))
    assert receipt.context["receipt"]["sms"] is False
    assert suggestion.tracking_code in receipt.content.decode()


def test_a_double_click_makes_one_opinion(client, station, roads):
    data = form_data()
    first = client.post(station_url(station), data)
    second = client.post(station_url(station), data)
    assert first.status_code == second.status_code == 302
    assert Suggestion.objects.count() == 1
    assert Notification.objects.filter(kind="receipt").count() == 1
    receipt = client.get(reverse("suggestions:receipt"))
    assert Suggestion.objects.get().tracking_code in receipt.content.decode()


def test_a_tampered_submission_key_still_stores_one_opinion_with_a_fresh_key(
    client, station, roads
):
    response = client.post(station_url(station), form_data(submission_key="x" * 500))
    assert response.status_code == 302
    suggestion = Suggestion.objects.get()
    assert suggestion.submission_key is None or len(suggestion.submission_key) <= 64


def test_line_breaks_count_once_towards_the_length(client, station, roads):
    # 1,000 lines of one character: 1,999 characters in the textarea, 2,998 as sent (CRLF).
    content = "\r\n".join(["字"] * 1000)
    assert client.post(station_url(station), form_data(content=content)).status_code == 302
    assert Suggestion.objects.get().content == "\n".join(["字"] * 1000)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"content": ""}, "content"),
        ({"content": "字" * 2001}, "content"),
        ({"title": "路" * 101}, "title"),
        ({"phone": "12345"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"title": SCRIPT}, "title"),
        ({"content": f"路面坏了 {SCRIPT}"}, "content"),
        ({"consent": None}, "consent"),
        ({"category": "no-such-category"}, "category"),
        ({"category": ""}, "category"),
        ({"name": "名" * 51}, "name"),
    ],
    ids=[
        "empty-title",
        "blank-title",
        "empty-content",
        "content-2001",
        "title-101",
        "short-phone",
        "no-phone",
        "script-title",
        "script-content",
        "no-consent",
        "unknown-category",
        "no-category",
        "long-name",
    ],
)
def test_bad_input_is_refused_next_to_its_field(client, station, roads, overrides, field):
    response = client.post(station_url(station), form_data(**overrides))
    assert response.status_code == 200
    assert field in errors_of(response)
    assert Suggestion.objects.count() == 0
    assert not Notification.objects.exists()


def test_an_inactive_category_is_refused(client, station, roads):
    roads.is_active = False
    roads.save()
    response = client.post(station_url(station), form_data())
    assert "category" in errors_of(response)
    assert Suggestion.objects.count() == 0


def test_errors_keep_everything_typed_and_link_to_the_fields(client, station, roads):
    data = form_data(phone="12345", name="李四", title="桥梁护栏损坏")
    response = client.post(station_url(station), data)
    form = response.context["form"]
    page = response.content.decode()
    assert set(form.errors) == {"phone"}
    assert form["title"].value() == "桥梁护栏损坏" and form["name"].value() == "李四"
    assert form["content"].value() == data["content"]
    assert form["category"].value() == "roads"
    assert form["submission_key"].value() == data["submission_key"]
    assert 'value="桥梁护栏损坏"' in page and data["content"] in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in page
    assert 'id="id_phone_error"' in page
    assert 'href="#id_phone"' in page


def test_all_errors_come_at_once(client, station, roads):
    response = client.post(
        station_url(station), form_data(title="", content="", phone="1", consent=None)
    )
    assert {"title", "content", "phone", "consent"} <= set(errors_of(response))


def test_markup_is_refused_and_shown_escaped(client, station, roads):
    response = client.post(station_url(station), form_data(title=SCRIPT))
    page = response.content.decode()
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_sql_looking_text_is_stored_verbatim_and_shown_escaped(client, station, roads):
    content = f"修路 {SQL} 谢谢"
    response = client.post(station_url(station), form_data(content=content, consent=None))
    assert SQL not in response.content.decode()
    assert "&#x27;; DROP TABLE suggestions_case; --" in response.content.decode()

    client.post(station_url(station), form_data(content=content))
    suggestion = Suggestion.objects.get()
    assert suggestion.content == content
    page = track_post(client, suggestion.tracking_code, "8000").content.decode()
    assert "&#x27;; DROP TABLE suggestions_case; --" in page
    assert SQL not in page


# --- Photos ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_real_photo_is_stored_re_encoded(client, station, roads, fmt):
    upload = image_upload(f"IMG_0001.{fmt.lower()}", fmt=fmt)
    response = client.post(station_url(station), form_data(photos=[upload]))
    assert response.status_code == 302
    photo = Photo.objects.get()
    assert photo.suggestion == Suggestion.objects.get()
    assert "IMG_0001" not in photo.image.name
    with Image.open(photo.image.path) as stored:
        assert stored.format == "JPEG"


def test_three_photos_are_accepted(client, station, roads):
    photos = [image_upload(f"{n}.png", fmt="PNG") for n in range(3)]
    assert client.post(station_url(station), form_data(photos=photos)).status_code == 302
    assert Photo.objects.count() == 3


def test_a_text_file_named_jpg_is_refused(client, station, roads):
    fake = SimpleUploadedFile("photo.jpg", b"just some text, not a photo", "image/jpeg")
    response = client.post(station_url(station), form_data(photos=[fake]))
    assert "photos" in errors_of(response)
    assert response.context["photos_dropped"] is True
    assert Suggestion.objects.count() == 0 and Photo.objects.count() == 0


def test_a_photo_over_5_mb_is_refused(client, station, roads):
    big = SimpleUploadedFile(
        "big.jpg", image_upload().read() + b"\0" * services.MAX_PHOTO_BYTES, "image/jpeg"
    )
    response = client.post(station_url(station), form_data(photos=[big]))
    assert "photos" in errors_of(response)
    assert Suggestion.objects.count() == 0


def test_a_fourth_photo_is_refused(client, station, roads):
    photos = [image_upload(f"{n}.jpg") for n in range(4)]
    response = client.post(station_url(station), form_data(photos=photos))
    assert "photos" in errors_of(response)
    assert Suggestion.objects.count() == 0 and Photo.objects.count() == 0


def test_a_body_far_over_the_photo_limits_is_refused_unread(client, station, roads):
    response = client.post(station_url(station), form_data(), CONTENT_LENGTH=str(50 * 1024 * 1024))
    assert response.status_code == 413
    assert Suggestion.objects.count() == 0


# --- Writing to a deputy ----------------------------------------------------------------


def test_constituent_writes_to_a_deputy_placed_in_one_station(
    client, addressed_deputy, station, roads
):
    place(addressed_deputy, station)
    url = reverse("suggestions:submit_deputy", args=[addressed_deputy.code])
    page = client.get(url).content.decode()
    assert addressed_deputy.name in page and station.name in page
    assert client.post(url, form_data()).status_code == 302
    suggestion = Suggestion.objects.get()
    assert suggestion.deputy == addressed_deputy
    assert suggestion.region == addressed_deputy.region
    assert suggestion.station == station
    assert Event.objects.filter(case=suggestion, kind="awaiting_deputy").exists()
    assert Notification.objects.filter(kind="addressed", recipient=addressed_deputy.user).exists()


def test_a_deputy_in_two_stations_gets_no_station(
    client, addressed_deputy, station, other_station, roads
):
    place(addressed_deputy, station)
    place(addressed_deputy, other_station)
    url = reverse("suggestions:submit_deputy", args=[addressed_deputy.code])
    assert client.post(url, form_data()).status_code == 302
    suggestion = Suggestion.objects.get()
    assert suggestion.deputy == addressed_deputy and suggestion.station is None
    assert suggestion.region == addressed_deputy.region


def test_a_closed_station_does_not_count_as_the_deputys_station(
    client, addressed_deputy, station, xidu, roads
):
    place(addressed_deputy, station)
    closed = StationFactory(code="XD002", region=xidu, is_active=False)
    place(addressed_deputy, closed)
    url = reverse("suggestions:submit_deputy", args=[addressed_deputy.code])
    client.post(url, form_data())
    assert Suggestion.objects.get().station == station


def test_a_deputy_without_a_station_still_gets_the_opinion(client, addressed_deputy, roads):
    url = reverse("suggestions:submit_deputy", args=[addressed_deputy.code])
    assert client.post(url, form_data()).status_code == 302
    suggestion = Suggestion.objects.get()
    assert suggestion.station is None and suggestion.region == addressed_deputy.region


# --- Tracking ---------------------------------------------------------------------------


def test_constituent_tracks_with_code_and_last4_and_sees_no_personal_data(
    client, submit, roads_rule, department_user, django_assert_max_num_queries
):
    suggestion = replied(submit, roads_rule, department_user)
    Event.objects.create(case=suggestion, kind="note", is_public=False, note="仅内部可见的记录")
    with django_assert_max_num_queries(4):
        response = track_post(client, suggestion.tracking_code.lower(), "8000")
    assert response.status_code == 200
    assert response.context["suggestion"] == suggestion
    page = response.content.decode()
    assert suggestion.tracking_code in page
    assert suggestion.title in page
    assert "已安排施工队于本月底前修复。" in page
    kinds = [event.kind for event in response.context["events"]]
    assert kinds == ["received", "routed", "replied"]
    for event in response.context["events"]:
        if event.public_text:
            assert event.public_text in page
    assert "13800138000" not in page and "138****" not in page
    assert "张三" not in page
    assert "内部备注" not in page and "仅内部可见的记录" not in page
    assert department_user.username not in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_tracking_offers_the_rating_link_while_the_reply_waits(
    client, submit, roads_rule, department_user
):
    suggestion = replied(submit, roads_rule, department_user)
    response = track_post(client, suggestion.tracking_code, "8000")
    token = services.rating_token(suggestion)
    assert response.context["rate_token"] == token
    assert reverse("suggestions:rate", args=[token]) in response.content.decode()

    services.case_rate(case=suggestion, rating="satisfied")
    response = track_post(client, suggestion.tracking_code, "8000")
    assert response.context["rate_token"] == ""


def test_a_fresh_opinion_has_no_rating_link(client, submit):
    suggestion = submit()
    response = track_post(client, suggestion.tracking_code, "8000")
    assert response.context["suggestion"] == suggestion
    assert response.context["rate_token"] == ""
    assert response.context["reply"] is None


def test_tracking_accepts_the_code_with_spaces_and_dashes(client, submit):
    suggestion = submit()
    code = suggestion.tracking_code
    spaced = f" {code[:4]} {code[4:8]}-{code[8:]} "
    assert track_post(client, spaced, "8000").context["suggestion"] == suggestion


def test_wrong_phone_and_unknown_code_look_the_same(client, submit):
    suggestion = submit()

    def message(response):
        match = re.search(
            r'<div class="alert" role="alert" id="track-message">.*?</div>',
            response.content.decode(),
            re.S,
        )
        return match.group(0)

    wrong_phone = track_post(client, suggestion.tracking_code, "1234")
    unknown_code = track_post(client, "ZZZZZZZZZZZZ", "8000")
    for response in (wrong_phone, unknown_code):
        assert response.status_code == 200
        assert response.context["suggestion"] is None
        assert suggestion.title not in response.content.decode()
    assert message(wrong_phone) == message(unknown_code)
    assert wrong_phone.context["form"].errors == unknown_code.context["form"].errors


def test_tracking_needs_four_digits(client, submit):
    suggestion = submit()
    response = track_post(client, suggestion.tracking_code, "80a0")
    assert "last4" in response.context["form"].errors
    assert response.context["suggestion"] is None


def test_the_tracking_page_fills_in_a_code_from_the_link(client, db):
    response = client.get(reverse("suggestions:track"), {"code": "ABCDEFGHJKMN"})
    assert response.status_code == 200
    assert 'value="ABCDEFGHJKMN"' in response.content.decode()


def test_the_tracking_lookup_never_travels_in_the_address(client, submit):
    suggestion = submit()
    response = client.get(
        reverse("suggestions:track"), {"code": suggestion.tracking_code, "last4": "8000"}
    )
    assert response.context["suggestion"] is None
    assert suggestion.title not in response.content.decode()


# --- Rating ---------------------------------------------------------------------------


def rate_url(case) -> str:
    return reverse("suggestions:rate", args=[services.rating_token(case)])


def test_rating_page_shows_the_reply_and_three_choices(client, submit, roads_rule, department_user):
    suggestion = replied(submit, roads_rule, department_user)
    response = client.get(rate_url(suggestion))
    assert response.status_code == 200
    page = response.content.decode()
    assert "已安排施工队于本月底前修复。" in page
    assert "内部备注" not in page
    for value in ("satisfied", "basically", "unsatisfied"):
        assert f'value="{value}"' in page
    assert 'value="not_rated"' not in page
    assert response.context["waiting"] is True


def test_satisfied_closes_the_opinion(client, submit, roads_rule, department_user):
    suggestion = replied(submit, roads_rule, department_user)
    response = client.post(rate_url(suggestion), {"rating": "satisfied", "comment": "很好"})
    assert response.status_code == 200
    assert response.context["reopened"] is False
    suggestion.refresh_from_db()
    assert suggestion.status == "closed" and suggestion.satisfaction == "satisfied"
    follow_up = FollowUp.objects.get(case=suggestion)
    assert follow_up.method == "link" and follow_up.comment == "很好"


def test_unsatisfied_reopens_the_opinion(client, submit, roads_rule, department_user):
    suggestion = replied(submit, roads_rule, department_user)
    url = rate_url(suggestion)
    response = client.post(url, {"rating": "unsatisfied", "comment": "还没修"})
    assert response.status_code == 200
    assert response.context["reopened"] is True
    suggestion.refresh_from_db()
    assert suggestion.status == "reopened" and suggestion.reopen_count == 1
    # The link was for the first round; the new reply will bring a new one.
    assert client.get(url).status_code == 404


def test_a_second_rating_is_refused(client, submit, roads_rule, department_user):
    suggestion = replied(submit, roads_rule, department_user)
    url = rate_url(suggestion)
    client.post(url, {"rating": "basically"})
    response = client.post(url, {"rating": "unsatisfied"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert FollowUp.objects.filter(case=suggestion).count() == 1
    suggestion.refresh_from_db()
    assert suggestion.status == "closed"
    again = client.get(url)
    assert again.status_code == 200 and again.context["waiting"] is False


def test_a_rating_must_be_one_of_the_three(client, submit, roads_rule, department_user):
    suggestion = replied(submit, roads_rule, department_user)
    for rating in ("", "not_rated", "excellent"):
        response = client.post(rate_url(suggestion), {"rating": rating})
        assert "rating" in response.context["form"].errors
    assert not FollowUp.objects.exists()


def test_a_comment_with_markup_is_refused(client, submit, roads_rule, department_user):
    suggestion = replied(submit, roads_rule, department_user)
    response = client.post(rate_url(suggestion), {"rating": "satisfied", "comment": SCRIPT})
    assert response.context["form"].errors
    assert SCRIPT not in response.content.decode()
    assert not FollowUp.objects.exists()


def test_a_tampered_rating_link_is_404(client, submit, roads_rule, department_user):
    suggestion = replied(submit, roads_rule, department_user)
    token = services.rating_token(suggestion)
    _case_id, rest = token.split("-", 1)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), f"{suggestion.pk + 1}-{rest}"):
        assert client.get(reverse("suggestions:rate", args=[bad])).status_code == 404
        response = client.post(reverse("suggestions:rate", args=[bad]), {"rating": "satisfied"})
        assert response.status_code == 404
    assert not FollowUp.objects.exists()


# --- Rate limits -------------------------------------------------------------------------


def test_the_fourth_submission_in_the_window_gets_429(client, station, roads, settings):
    settings.LIAISON_SUBMIT_RATE = "3/h"
    for _ in range(3):
        assert client.post(station_url(station), form_data()).status_code == 302
    data = form_data(title="第四条意见")
    response = client.post(station_url(station), data)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert Suggestion.objects.count() == 3
    assert response.context["form"]["title"].value() == "第四条意见"
    # Another address is not affected.
    other = client.post(station_url(station), form_data(), REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 302


def test_the_submission_limit_covers_station_and_deputy_forms(
    client, station, addressed_deputy, roads, settings
):
    settings.LIAISON_SUBMIT_RATE = "2/h"
    deputy_url = reverse("suggestions:submit_deputy", args=[addressed_deputy.code])
    client.post(station_url(station), form_data())
    client.post(deputy_url, form_data())
    assert client.post(deputy_url, form_data()).status_code == 429
    assert client.get(deputy_url).status_code == 200  # reading the form is never limited


def test_the_fourth_lookup_in_the_window_gets_429(client, submit, settings):
    settings.LIAISON_TRACK_RATE = "3/h"
    suggestion = submit()
    for _ in range(3):
        assert track_post(client, "ZZZZZZZZZZZZ", "0000").status_code == 200
    response = track_post(client, suggestion.tracking_code, "8000")
    assert response.status_code == 429
    assert response.context["suggestion"] is None
    assert suggestion.title not in response.content.decode()
    assert client.get(reverse("suggestions:track")).status_code == 200


# --- The rate limiter ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "parsed"),
    [
        ("10/h", (10, 3600)),
        ("30/m", (30, 60)),
        ("5/10m", (5, 600)),
        ("100/day", (100, 86400)),
        (" 2 / s ", (2, 1)),
        ("", None),
    ],
)
def test_rates_are_parsed(rate, parsed):
    assert ratelimit.parse_rate(rate) == parsed


@pytest.mark.parametrize("rate", ["10", "ten/h", "10/y", "10/0m"])
def test_a_bad_rate_is_a_configuration_error(rate):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        ratelimit.parse_rate(rate)


def test_hits_count_per_scope_and_key():
    for _ in range(2):
        assert ratelimit.hit(scope="a", key="1.2.3.4", rate="2/m")
    assert not ratelimit.hit(scope="a", key="1.2.3.4", rate="2/m")
    assert not ratelimit.hit(scope="a", key="1.2.3.4", rate="2/m")
    assert ratelimit.hit(scope="b", key="1.2.3.4", rate="2/m")
    assert ratelimit.hit(scope="a", key="1.2.3.5", rate="2/m")
    assert all(ratelimit.hit(scope="a", key="1.2.3.4", rate="") for _ in range(5))


def test_a_new_window_starts_a_new_count(monkeypatch):
    now = [1_000_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert ratelimit.hit(scope="w", key="k", rate="1/m")
    assert not ratelimit.hit(scope="w", key="k", rate="1/m")
    assert ratelimit.retry_after("1/m") == 60 - int(now[0] % 60)
    now[0] += 60
    assert ratelimit.hit(scope="w", key="k", rate="1/m")


def test_a_failing_cache_lets_requests_through(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache is down")

    monkeypatch.setattr(ratelimit.cache, "add", broken)
    assert ratelimit.hit(scope="down", key="k", rate="1/h")
    assert ratelimit.hit(scope="down", key="k", rate="1/h")


@pytest.mark.parametrize(
    ("remote_addr", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("", "unknown"),
        ("not-an-address", "unknown"),
    ],
)
def test_clients_are_counted_by_address_and_ipv6_by_network(rf, remote_addr, key):
    request = rf.get("/", REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert ratelimit.client_key(request) == key
    assert ratelimit.client_ip(request) != "198.51.100.1"


def test_the_receipt_is_kept_under_one_session_key(client, station, roads):
    client.post(station_url(station), form_data())
    assert client.session[RECEIPT_SESSION_KEY]["code"] == Suggestion.objects.get().tracking_code
