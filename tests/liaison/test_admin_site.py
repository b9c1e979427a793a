"""The admin site itself: its header in both languages, menus grouped by task in the
index and the sidebar, app pages as Django builds them, and the task groups' pages."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from liaison.admin_site import TASK_GROUPS, LiaisonAdminSite
from liaison.models import Region


def labels_of(models) -> list[str]:
    return [f"{m['model']._meta.app_label}.{m['model']._meta.model_name}" for m in models]


def groups_of(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.content[:300]
    return {str(g["name"]): labels_of(g["models"]) for g in response.context["app_list"]}


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


# --- The header --------------------------------------------------------------------------


def test_the_header_reads_the_platforms_chinese_name(client, admin_user, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    for page in (reverse("admin:login"), reverse("admin:index")):
        if page != reverse("admin:login"):
            client.force_login(admin_user)
        body = client.get(page).content.decode()
        assert '<div id="site-name"><a href="/admin/">人大代表联络站管理平台</a></div>' in body


def test_the_header_in_english(client, admin_user, english):
    client.force_login(admin_user)
    body = client.get(reverse("admin:index")).content.decode()
    assert "Deputy Liaison Station Administration Platform</a></div>" in body


def test_every_registration_lands_on_the_liaison_site():
    assert isinstance(admin.site._wrapped, LiaisonAdminSite)
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    assert {"suggestions.suggestion", "votes.ballotcycle", "auditlog.logentry"} <= registered


# --- Menus grouped by task ------------------------------------------------------------------


def test_the_index_groups_every_model_by_task_in_the_order_of_the_work(client, admin_user, english):
    client.force_login(admin_user)
    groups = groups_of(client.get(reverse("admin:index")))
    registered = {f"{m._meta.app_label}.{m._meta.model_name}" for m in admin.site._registry}
    expected_names = [
        str(title) for _slug, title, labels in TASK_GROUPS if registered & set(labels)
    ]
    assert list(groups)[: len(expected_names)] == expected_names
    assert list(groups)[:4] == [
        "Opinion handling",
        "Deputies' work",
        "Stations and reception days",
        "Project ballots",
    ]
    for _slug, title, labels in TASK_GROUPS:
        if str(title) in groups:
            assert groups[str(title)] == [label for label in labels if label in registered]
    # Nothing registered disappears: each model once, unknown ones under "Other".
    listed = [label for models in groups.values() for label in models]
    assert sorted(listed) == sorted(registered)
    known = {label for _slug, _title, labels in TASK_GROUPS for label in labels}
    assert groups.get("Other", []) == sorted(registered - known) or not (registered - known)
    assert groups["Opinion handling"][:3] == [
        "suggestions.suggestion",
        "suggestions.deputysuggestion",
        "stations.reception",
    ]
    assert "auditlog.logentry" in groups["System administration"]


def test_a_model_no_group_names_falls_into_the_last_group(admin_user):
    site = LiaisonAdminSite(name="probe")
    site.register(Permission)
    site.register(Region)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    groups = {str(g["name"]): labels_of(g["models"]) for g in site.get_app_list(request)}
    assert groups == {"System administration": ["liaison.region"], "Other": ["auth.permission"]}
    assert list(groups)[-1] == "Other"


def test_the_sidebar_shows_the_same_groups_as_the_index(client, county_clerk, english):
    client.force_login(county_clerk)
    index = groups_of(client.get(reverse("admin:index")))
    page = client.get(reverse("admin:suggestions_suggestion_changelist"))
    assert page.status_code == 200
    sidebar = {
        str(group["name"]): labels_of(group["models"]) for group in page.context["available_apps"]
    }
    assert sidebar == index
    body = page.content.decode()
    assert 'id="nav-sidebar"' in body
    assert reverse("admin:task_group", args=["opinions"]) in body


def test_an_apps_own_page_still_lists_that_app_in_task_order(client, county_clerk, english):
    client.force_login(county_clerk)
    response = client.get(reverse("admin:app_list", args=["suggestions"]))
    assert response.status_code == 200
    (app,) = response.context["app_list"]
    assert app["app_label"] == "suggestions"
    assert labels_of(app["models"])[:2] == [
        "suggestions.suggestion",
        "suggestions.deputysuggestion",
    ]


def test_a_task_groups_page_lists_its_models(client, county_clerk, english):
    client.force_login(county_clerk)
    response = client.get(reverse("admin:task_group", args=["ballots"]))
    assert response.status_code == 200
    (group,) = response.context["app_list"]
    assert str(group["name"]) == "Project ballots"
    assert labels_of(group["models"])[0] == "votes.ballotcycle"
    assert reverse("admin:votes_ballotcycle_changelist") in response.content.decode()


def test_an_unknown_task_group_is_a_404(client, county_clerk):
    client.force_login(county_clerk)
    assert client.get(reverse("admin:task_group", args=["nothing"])).status_code == 404


def test_the_menus_cost_no_query(county_clerk, django_assert_num_queries):
    """Every admin page builds the menus (index and sidebar): from permissions, which
    the rules decide from the user, never per model from the database."""
    request = RequestFactory().get("/admin/")
    request.user = county_clerk
    admin.site.get_app_list(request)  # loads the user's (empty) Django permissions once
    with django_assert_num_queries(0):
        groups = admin.site.get_app_list(request)
    assert len(groups) >= 5
