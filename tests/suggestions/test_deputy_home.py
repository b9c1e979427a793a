"""The deputy's home page (/deputy/): each app's panels, for the deputy only."""

import pytest
from django.urls import reverse

from stations.services import reception_days_roll
from tests.factories import ScheduleFactory, place

URL = "/deputy/"


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who", ["county_clerk", "department_user"])
def test_other_roles_are_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403


def test_a_deputy_sees_duties_stations_matters_suggestions_and_points(
    client, deputy_user, addressed_deputy, station, submit
):
    import datetime as dt

    from django.utils import timezone

    place(addressed_deputy, station)
    ScheduleFactory(station=station, rule="weekly", weekday=timezone.localdate().weekday())
    today = timezone.localdate()
    reception_days_roll(station=station, start=today, end=today + dt.timedelta(days=14))
    submit(deputy=addressed_deputy, title="村口路灯不亮")
    client.force_login(deputy_user)
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert station.name in page  # my stations and my duties
    assert "村口路灯不亮" in page  # a matter waiting for me
    titles = [panel.title for panel in response.context["panels"]]
    assert len(titles) >= 6


def test_the_home_page_runs_a_bounded_number_of_queries(
    client, deputy_user, addressed_deputy, station, submit, django_assert_max_num_queries
):
    place(addressed_deputy, station)
    for n in range(8):
        submit(deputy=addressed_deputy, title=f"意见{n}")
    client.force_login(deputy_user)
    with django_assert_max_num_queries(20):
        assert client.get(URL).status_code == 200
