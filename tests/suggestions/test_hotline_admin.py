"""Integrations in the admin: who sees them, the key and secret shown once, regenerating,
and the work orders list, each from the outside as every role."""

import pytest
from django.urls import reverse

from suggestions import hotline
from suggestions.models import Integration, Suggestion, WorkOrder
from tests.factories import make_user


@pytest.fixture
def hyx_hotline(hengyang_county):
    integration, credentials = hotline.integration_create(
        name="衡阳县12345", kind=Integration.Kind.HOTLINE, region=hengyang_county
    )
    integration.credentials = credentials
    return integration


@pytest.fixture
def hn_hotline(hengnan_county):
    integration, credentials = hotline.integration_create(
        name="衡南县12345", kind=Integration.Kind.HOTLINE, region=hengnan_county
    )
    integration.credentials = credentials
    return integration


def changelist():
    return reverse("admin:suggestions_integration_changelist")


def change(integration):
    return reverse("admin:suggestions_integration_change", args=[integration.pk])


def test_county_clerk_sees_only_their_countys_integrations(
    client, county_clerk, hyx_hotline, hn_hotline, django_assert_max_num_queries
):
    client.force_login(county_clerk)
    response = client.get(changelist())
    assert list(response.context["cl"].result_list) == [hyx_hotline]
    with django_assert_max_num_queries(10) as few:
        client.get(changelist())
    for number in range(5):
        hotline.integration_create(name=f"热线{number}", kind="hotline", region=hyx_hotline.region)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(changelist()).context["cl"].result_count == 6
    assert client.get(change(hyx_hotline)).status_code == 200
    assert client.get(change(hn_hotline)).status_code == 404
    regenerate = reverse("admin:suggestions_integration_regenerate", args=[hn_hotline.pk])
    assert client.post(regenerate).status_code == 404
    hn_hotline.refresh_from_db()
    assert hotline.integration_for_key(hn_hotline.credentials.key, kind="hotline") == hn_hotline


def test_city_clerk_and_superuser_see_both(client, city_clerk, admin_user, hyx_hotline, hn_hotline):
    for user in (city_clerk, admin_user):
        client.force_login(user)
        assert client.get(changelist()).context["cl"].result_count == 2


@pytest.mark.parametrize("role", ["anonymous", "deputy", "department", "constituent"])
def test_people_outside_the_office_cannot_open_integrations(client, role, hyx_hotline, xidu):
    if role == "deputy":
        client.force_login(make_user("dora2", role="deputy"))
    elif role == "department":
        client.force_login(make_user("dan2", role="department"))
    elif role == "constituent":
        client.force_login(make_user("citizen", is_staff=True))
    for url in (changelist(), change(hyx_hotline)):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_township_clerk_does_not_see_the_countys_integration(client, township_clerk, hyx_hotline):
    client.force_login(township_clerk)
    assert client.get(changelist()).context["cl"].result_count == 0
    assert client.get(change(hyx_hotline)).status_code == 404


def test_creating_shows_key_and_secret_once_and_never_again(
    client, county_clerk, hengyang_county, english
):
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:suggestions_integration_add"),
        {
            "name": "衡阳县12345",
            "kind": "hotline",
            "region": hengyang_county.pk,
            "callback_url": "https://12345.example.gov.cn/callback",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    credentials = response.context["credentials"]
    page = response.content.decode()
    assert credentials.key in page and credentials.secret in page
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    integration = Integration.objects.get()
    assert integration.created_by == county_clerk
    # Only the key's hash is kept; the key works.
    assert credentials.key not in str(Integration.objects.values().get())
    assert hotline.integration_for_key(credentials.key, kind="hotline") == integration

    pages = [
        changelist(),
        change(integration),
        reverse("admin:suggestions_integration_history", args=[integration.pk]),
        reverse("admin:suggestions_integration_regenerate", args=[integration.pk]),
        reverse("admin:index"),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert credentials.secret not in page and credentials.key not in page, url
        assert integration.secret not in page and integration.key_hash not in page, url


def test_the_change_form_cannot_set_the_secret(client, county_clerk, hyx_hotline):
    client.force_login(county_clerk)
    before = (hyx_hotline.secret, hyx_hotline.key_hash)
    client.post(
        change(hyx_hotline),
        {
            "name": "改名",
            "kind": "hotline",
            "region": hyx_hotline.region_id,
            "callback_url": "",
            "is_active": "on",
            "secret": "chosen",
            "key_hash": "0" * 64,
        },
    )
    hyx_hotline.refresh_from_db()
    assert hyx_hotline.name == "改名" and (hyx_hotline.secret, hyx_hotline.key_hash) == before


def test_regenerating_shows_new_credentials_and_the_old_key_stops_working(
    client, county_clerk, hyx_hotline, english
):
    client.force_login(county_clerk)
    url = reverse("admin:suggestions_integration_regenerate", args=[hyx_hotline.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "replace the old ones" in confirm.content.decode()
    response = client.post(url)
    fresh = response.context["credentials"]
    assert fresh.key in response.content.decode()
    assert hotline.integration_for_key(hyx_hotline.credentials.key, kind="hotline") is None
    assert hotline.integration_for_key(fresh.key, kind="hotline") == hyx_hotline


def test_a_clerk_cannot_create_an_integration_for_another_county(
    client, county_clerk, hengnan_county
):
    client.force_login(county_clerk)
    response = client.post(
        reverse("admin:suggestions_integration_add"),
        {"name": "越权", "kind": "hotline", "region": hengnan_county.pk, "is_active": "on"},
    )
    assert response.status_code == 200 and "credentials" not in response.context
    assert not Integration.objects.exists()


def test_only_superusers_delete_integrations(client, county_clerk, admin_user, hyx_hotline):
    delete = reverse("admin:suggestions_integration_delete", args=[hyx_hotline.pk])
    client.force_login(county_clerk)
    assert client.get(delete).status_code == 403
    client.force_login(admin_user)
    assert client.get(delete).status_code == 200


# --- Work orders ------------------------------------------------------------------------------


@pytest.fixture
def order(hyx_hotline, roads):
    suggestion, _created = hotline.work_order_receive(
        integration=hyx_hotline,
        data={"external_id": "HY-1", "content": "路灯不亮", "category": "roads"},
        signature="a" * 64,
    )
    return WorkOrder.objects.get(suggestion=suggestion)


def test_work_orders_are_read_only_and_scoped(
    client, county_clerk, other_county_clerk, order, django_assert_max_num_queries
):
    url = reverse("admin:suggestions_workorder_changelist")
    client.force_login(county_clerk)
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert list(response.context["cl"].result_list) == [order]
    detail = reverse("admin:suggestions_workorder_change", args=[order.pk])
    assert client.get(detail).status_code == 200
    assert client.post(detail, {"external_id": "X"}).status_code == 403
    assert client.get(reverse("admin:suggestions_workorder_add")).status_code == 403
    client.force_login(other_county_clerk)
    assert client.get(url).context["cl"].result_count == 0
    assert client.get(detail).status_code == 404
    assert Suggestion.objects.count() == 1
