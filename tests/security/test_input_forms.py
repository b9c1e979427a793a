# ruff: noqa: F811  (a test naming an imported fixture is not a redefinition)
"""Every form of the public and role pages, tried with the catalogue of bad values.

For each page the fields are read from the form(s) the page renders (so a field added
later is tried too) and every bad value that fits a field's kind is posted in that
field, the other fields valid. Each post runs in a savepoint rolled back afterwards, so
one value cannot spoil the next. What must hold:

- never a server error;
- a value the field never accepts (``inputs.REFUSED``): the form comes back (200, or
  400 where the page says so) with a Chinese message next to the field, and nothing
  is stored: no row, no outbox message, no notification;
- text a person could type (markup, SQL, a formula): refused as above, or stored
  exactly as typed and shown escaped on the pages that show it;
- a refused value is echoed back escaped, never as markup.
"""

import pytest
from django import forms
from django.db import transaction
from django.test import Client
from django.urls import reverse

from suggestions.models import Suggestion
from tests.security import inputs
from tests.security.input_world import (  # noqa: F401  (fixtures)
    Page,
    addressed,
    admin_client_,
    at_once,
    bureau,
    collecting,
    congress,
    department_reply,
    department_return,
    deputy_decision,
    deputy_inspection,
    deputy_points_claim,
    deputy_propose,
    deputy_reception_new,
    deputy_suggestion_edit,
    deputy_suggestion_new,
    dora,
    login,
    public_propose,
    public_rate,
    public_submit,
    public_track,
    roads,
    routed,
    signed_in,
    station,
)
from tests.security.inputs import REFUSED, REFUSED_IF_REQUIRED, Bad
from votes.models import Proposal

pytestmark = pytest.mark.django_db

GROUPS = ["empty", "oversized", "malformed", "script", "sql"]
TEXT_GROUPS = {
    "empty": inputs.EMPTY,
    "oversized": inputs.OVERSIZED,
    "malformed": inputs.MALFORMED_TEXT,
    "script": inputs.SCRIPT_TEXT,
    "sql": inputs.SQL_TEXT,
}
# Fields that are not free text get their own catalogue, tried with the malformed group.
OTHER_KINDS = {
    "choice": inputs.NOT_A_CHOICE,
    "date": inputs.NOT_A_DATE,
    "number": inputs.NOT_A_NUMBER,
}


def kind_of(form_field: forms.Field) -> str:
    if isinstance(form_field, forms.FileField | forms.BooleanField) or form_field.widget.is_hidden:
        return "skip"
    if isinstance(form_field, forms.DateField):
        return "date"
    if isinstance(form_field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return "number"
    if isinstance(form_field, forms.ChoiceField) or isinstance(
        form_field.widget, forms.Select | forms.RadioSelect
    ):
        return "choice"
    return "text"


def values_for(page: Page, name: str, form_field: forms.Field, group: str) -> list[Bad]:
    kind = "choice" if name in page.codes else kind_of(form_field)
    if kind == "skip":
        return []
    if kind != "text":
        return OTHER_KINDS[kind] if group == "malformed" else []
    values = list(TEXT_GROUPS[group])
    if group == "oversized":
        limit = page.limits.get(name) or form_field.max_length
        limit = limit or form_field.widget.attrs.get("maxlength")
        if limit:
            values.append(inputs.over(int(limit)))
    return values


def fields_of(page: Page) -> list[tuple[str, str, forms.Field]]:
    """(context key, posted name, field) of every field the page renders."""
    response = page.client.get(page.url)
    assert response.status_code == 200, response.status_code
    found = []
    for key in page.forms:
        form = context_form(response, key)
        for name, form_field in form.fields.items():
            found.append((key, form.add_prefix(name), form_field))
    assert found
    return found


def context_form(response, key: str) -> forms.Form:
    """The form at ``key`` in the page's context: "form", "forms.edit", "formset.forms.0"."""
    first, *rest = key.split(".")
    found = response.context[first]
    for part in rest:
        if hasattr(found, part):
            found = getattr(found, part)
        else:
            found = found[int(part) if part.isdigit() else part]
    return found


def bound_form(response, key: str, posted: str):
    form = context_form(response, key)
    name = posted.removeprefix(f"{form.prefix}-") if form.prefix else posted
    return form, name


@pytest.fixture(autouse=True)
def _no_limits(settings, tmp_path):
    settings.LIAISON_SUBMIT_RATE = settings.LIAISON_TRACK_RATE = ""
    settings.LIAISON_PROPOSAL_RATE = settings.LIAISON_LOGIN_RATE = ""
    settings.LIAISON_RATING_RATE = ""
    settings.MEDIA_ROOT = tmp_path
    from django.core.cache import cache

    cache.clear()


@pytest.mark.parametrize("group", GROUPS)
@pytest.mark.parametrize(
    "page_name",
    [
        "public_submit",
        "public_track",
        "public_rate",
        "public_propose",
        "login",
        "deputy_suggestion_new",
        "deputy_suggestion_edit",
        "deputy_reception_new",
        "deputy_decision",
        "deputy_points_claim",
        "deputy_propose",
        "deputy_inspection",
        "department_reply",
        "department_return",
    ],
)
def test_every_field_refuses_bad_input_or_keeps_it_as_escaped_text(request, page_name, group):
    page: Page = request.getfixturevalue(page_name)
    problems: list[str] = []
    with transaction.atomic():
        before = page.rows()
        valid = page.post()
        assert valid.status_code in (200, 302), f"the valid submission failed: {valid.status_code}"
        assert page.lookup or page.rows() != before, "the valid submission stored nothing"
        transaction.set_rollback(True)
    for key, posted, form_field in fields_of(page):
        for bad in values_for(page, posted, form_field, group):
            with transaction.atomic():
                problem = _try(page, key, posted, bad)
                transaction.set_rollback(True)
            if problem:
                problems.append(f"{posted}={bad}: {problem}")
    assert not problems, "\n".join(problems)


def _try(page: Page, key: str, posted: str, bad: Bad) -> str:
    before = page.rows()
    response = page.post(**{posted: bad.value})
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    html = response.content.decode()
    if any(markup in bad.value and markup in html for markup in inputs.MARKUP):
        return "echoed unescaped"
    if response.status_code in (301, 302, 303) or page.rows() != before:
        return _accepted(page, posted, bad)
    if response.status_code not in (200, 400):
        return f"status {response.status_code}"
    form, name = bound_form(response, key, posted)
    errors = form.errors.get(name) or (page.lookup and form.non_field_errors())
    if not errors:
        # A search may find nothing without an error on the field; a value that is never
        # valid must still be refused.
        return "no error" if bad.outcome == REFUSED or not page.lookup else ""
    if not all(inputs.has_chinese(message) for message in errors):
        return f"message not in Chinese: {list(errors)}"
    if not page.lookup and not _shown_with_field(html, form[name], posted, errors):
        return "the error is not shown next to the field"
    return ""


def _shown_with_field(html: str, bound, posted: str, errors) -> bool:
    """The error list sits with the field; a field the page does not render (no choice
    to offer) has its message in the error summary instead."""
    if f'id="{bound.auto_id}_error"' in html:
        return True
    return f'name="{posted}"' not in html and all(inputs.escaped(m) in html for m in errors)


def _accepted(page: Page, posted: str, bad: Bad) -> str:
    required = bad.outcome == REFUSED_IF_REQUIRED and posted in page.required
    if bad.outcome == REFUSED or required:
        return "accepted"
    typed = bad.value.strip()
    if typed and typed not in page.stored():
        return f"not stored as typed: {page.stored()[:200]!r}"
    # Escaping matters for what holds markup, quotes or a link; the rest is plain text.
    if posted in page.unseen or not any(ch in typed for ch in "<>\"'&:"):
        return ""
    return _shown_escaped(page, typed)


def _shown_escaped(page: Page, value: str) -> str:
    seen = False
    for shown in page.shown():
        body = shown.content.decode()
        where = shown.wsgi_request.path
        if shown.status_code != 200:
            return f"{where} answered {shown.status_code}"
        if any(markup in value and markup in body for markup in inputs.MARKUP):
            return f"shown unescaped on {where}"
        if 'href="javascript:' in body.lower():
            return f"a javascript: link on {where}"
        seen = seen or inputs.escaped(value) in body
    return "" if seen else "stored, but none of the pages shows it"


# --- The same form twice: a double click, a resent page, two posts at once ----------------


def _proposal_form(client, url) -> dict:
    key = client.get(url).context["form"]["submission_key"].value()
    assert inputs.SUBMISSION_KEY_RE.match(key)
    return {"title": "河堤路灯", "content": "河堤路段夜间无照明。", "submission_key": key}


def test_a_double_click_on_the_public_proposal_form_makes_one_proposal(client, collecting):
    url = reverse("votes:propose", args=[collecting.pk])
    data = _proposal_form(client, url)
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    assert first.status_code == 302 and second.status_code == 200
    proposal = Proposal.objects.get()
    # The second click lands on the receipt of the first proposal.
    assert second.context["proposal"] == proposal


def test_a_refused_proposal_keeps_its_key_for_the_corrected_one(client, collecting):
    url = reverse("votes:propose", args=[collecting.pk])
    data = _proposal_form(client, url)
    refused = client.post(url, data | {"title": ""})
    assert refused.status_code == 200 and "title" in refused.context["form"].errors
    assert refused.context["form"]["submission_key"].value() == data["submission_key"]
    assert client.post(url, data).status_code == 302
    assert Proposal.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 500, "短", "<script>alert(1)</script>"])
def test_a_missing_or_altered_key_still_makes_the_proposal_and_a_fresh_key(client, collecting, key):
    url = reverse("votes:propose", args=[collecting.pk])
    data = _proposal_form(client, url) | {"submission_key": key}
    assert client.post(url, data).status_code == 302
    assert Proposal.objects.count() == 1
    shown = client.post(url, data | {"title": ""}).context["form"]["submission_key"].value()
    assert shown != key and inputs.SUBMISSION_KEY_RE.match(shown)


def test_a_double_click_on_the_deputys_proposal_form_makes_one_proposal(
    dora, deputy_user, collecting
):
    client = signed_in(deputy_user)
    url = reverse("votes:deputy_propose", args=[collecting.pk])
    data = _proposal_form(client, url)
    assert client.post(url, data).status_code == client.post(url, data).status_code == 302
    assert Proposal.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("form", ["opinion", "proposal"])
def test_two_posts_of_one_form_at_the_same_moment_make_one_row(request, settings, form):
    settings.LIAISON_SUBMIT_RATE = settings.LIAISON_PROPOSAL_RATE = ""
    if form == "opinion":
        station = request.getfixturevalue("station")
        request.getfixturevalue("roads")
        url, model = reverse("suggestions:submit_station", args=[station.code]), Suggestion
        data = {
            "category": "roads",
            "title": "村口道路坑洼",
            "content": "村口道路坑洼积水。",
            "phone": "13800138000",
            "consent": "on",
            "submission_key": "k" * 32,
        }
    else:
        collecting = request.getfixturevalue("collecting")
        url, model = reverse("votes:propose", args=[collecting.pk]), Proposal
        data = {"title": "河堤路灯", "content": "河堤路段夜间无照明。", "submission_key": "k" * 32}
    answers = at_once(lambda: Client().post(url, data))
    assert answers == [302, 302]
    assert model.objects.count() == 1


# --- A NUL in the address; every admin add form -------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/?q=%E8%B7%AF%00",
        "/?region=43%00",
        "/stations/XD%00/",
        "/deputies/%00/qr.svg",
        "/track/?code=%00",
        "/ballots/?region=%00",
        "/admin/suggestions/suggestion/?status=%00",
        "/admin/stations/station/?q=%00",
        "/admin/reports/?year=2026%00",
    ],
)
def test_a_nul_in_the_address_or_query_is_a_chinese_400_not_a_server_error(admin_user, path):
    client = signed_in(admin_user)
    response = client.get(path)
    assert response.status_code == 400
    page = response.content.decode()
    assert inputs.has_chinese(page) and 'lang="zh-Hans"' in page


def _admin_add_forms():
    from django.contrib import admin

    for model, model_admin in admin.site._registry.items():
        yield pytest.param(
            model, model_admin, id=f"{model._meta.app_label}.{model._meta.model_name}"
        )


@pytest.mark.parametrize(("model", "model_admin"), list(_admin_add_forms()))
def test_every_admin_add_form_refuses_nul_and_shows_markup_escaped(admin_user, model, model_admin):
    client = signed_in(admin_user)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    page = client.get(url)
    if page.status_code != 200:
        pytest.skip(f"no add page ({page.status_code})")
    form = page.context["adminform"].form
    text = [
        name
        for name, form_field in form.fields.items()
        if isinstance(form_field, forms.CharField) and not form_field.widget.is_hidden
    ]
    if not text:
        pytest.skip("no text field")
    changelist = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    before = model.objects.count()
    response = client.post(url, dict.fromkeys(text, inputs.NUL))
    assert response.status_code == 200, response.status_code
    errors = response.context["adminform"].form.errors
    assert set(text) <= set(errors), f"no error on {set(text) - set(errors)}"
    assert model.objects.count() == before
    with transaction.atomic():
        # Staff may name a thing as they like; whatever is kept is shown escaped.
        response = client.post(url, dict.fromkeys(text, inputs.IMG_ONERROR))
        if response.status_code == 302:
            response = client.get(changelist)
        assert response.status_code == 200, response.status_code
        assert inputs.IMG_ONERROR not in response.content.decode()
        transaction.set_rollback(True)


# --- A page that reads its POST by hand: asking a colleague to take a duty ------------------


@pytest.fixture
def swap_page(dora, deputy_user, station):
    import datetime as dt

    from django.utils import timezone

    from stations.models import Duty, ReceptionDay
    from tests.factories import DeputyFactory, make_user, place

    colleague = DeputyFactory(
        code="EVE001", name="易代表", region=station.region, user=make_user("eve", role="deputy")
    )
    place(colleague, station)
    day = ReceptionDay.objects.create(
        station=station,
        date=timezone.localdate() + dt.timedelta(days=5),
        start_time=dt.time(9),
        end_time=dt.time(11),
        notice_days=2,
    )
    duty = Duty.objects.create(reception_day=day, deputy=dora)
    url = reverse("stations:duty_swap", args=[duty.pk])
    return signed_in(deputy_user), url, colleague


@pytest.mark.parametrize("bad", inputs.NOT_A_CHOICE, ids=str)
def test_a_bad_colleague_in_a_swap_request_is_refused_in_chinese(swap_page, bad):
    from stations.models import DutySwap

    client, url, _colleague = swap_page
    response = client.post(url, {"to_deputy": bad.value, "note": "家中有事"}, follow=True)
    assert response.status_code == 200
    assert [m for m in response.context["messages"] if inputs.has_chinese(m.message)]
    assert not DutySwap.objects.exists()


@pytest.mark.parametrize(
    "bad", [*inputs.MALFORMED_TEXT, *inputs.SCRIPT_TEXT, *inputs.SQL_TEXT], ids=str
)
def test_a_swap_note_is_refused_or_kept_as_typed_and_shown_escaped(swap_page, bad):
    from stations.models import DutySwap

    client, url, colleague = swap_page
    response = client.post(url, {"to_deputy": colleague.pk, "note": bad.value}, follow=True)
    assert response.status_code == 200
    if bad.outcome == REFUSED:
        assert not DutySwap.objects.exists()
        assert [m for m in response.context["messages"] if inputs.has_chinese(m.message)]
        return
    assert DutySwap.objects.get().note == bad.value.strip()
    for page in (response, signed_in(colleague.user).get(reverse("inbox"))):
        html = page.content.decode()
        assert not any(markup in html for markup in inputs.MARKUP)
        assert 'href="javascript:' not in html.lower()
