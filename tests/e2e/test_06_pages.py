"""The public pages and the deputy's workspace pages the journeys do not pass through,
each checked on a phone: axe-core, no sideways scrolling, Chinese in a CJK font."""

import datetime as dt

import pytest
from django.utils import timezone

from suggestions import services
from tests.e2e.checks import look
from tests.e2e.helpers import sign_in
from tests.factories import make_cycle
from votes.models import Phase

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def collecting(town):
    """The county congress's 2028 cycle, calling for proposals."""
    return make_cycle(
        town.congress,
        candidates=0,
        phase=Phase.COLLECTING,
        year=2028,
        title="衡阳县2028年民生实事项目征集",
        collect_until=timezone.localdate() + dt.timedelta(days=30),
    )


@pytest.fixture
def addressed(town):
    """An opinion a constituent wrote to Dora (it waits for her decision)."""
    return services.suggestion_submit(
        channel="web",
        deputy=town.dora,
        station=town.station,
        region=town.dora.region,
        category=town.water,
        title="请刘代表关注村里的饮水问题",
        content="我们组的自来水经常停，请刘代表帮忙反映。",
        phone="13600136000",
        consent=True,
    )


def test_the_public_pages_pass_the_checks_on_a_phone(phone, shots, town, collecting):
    page = phone()
    page.goto("/")
    look(page, shots, "06-public-home")
    page.get_by_role("link", name="湖南省").click()
    page.get_by_role("link", name="衡阳市").click()
    page.get_by_role("link", name="衡阳县", exact=True).click()
    page.get_by_role("link", name="西渡镇", exact=True).click()
    page.get_by_role("link", name=town.station.name).wait_for()
    look(page, shots, None, cjk="h2")

    page.get_by_role("searchbox").fill("西渡")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name=town.station.name).wait_for()
    look(page, shots, None, cjk="h2")

    page.goto(f"/deputies/{town.dora.code}/")
    page.get_by_role("heading", name="刘晓梅").wait_for()
    look(page, shots, "06-public-deputy")
    page.goto(f"/suggest/deputy/{town.dora.code}/")
    look(page, shots, None)

    page.goto("/track/")
    look(page, shots, None)
    page.goto(f"/ballots/{collecting.pk}/")
    look(page, shots, None)
    page.goto(f"/ballots/{collecting.pk}/propose/")
    look(page, shots, None)
    page.goto("/accounts/login/")
    look(page, shots, None)


def test_the_deputy_workspace_pages_pass_the_checks_on_a_phone(
    phone, shots, town, deputy_user, addressed, collecting
):
    page = phone()
    sign_in(page, deputy_user.username)
    year = timezone.localdate().year
    for name, path in [
        ("06-deputy-duties", "/deputy/duties/"),
        (None, "/deputy/points/"),
        (None, f"/deputy/report/{year}/"),
        (None, "/deputy/projects/"),
        (None, f"/deputy/ballots/cycles/{collecting.pk}/propose/"),
        (None, "/deputy/addressed/"),
        (None, f"/deputy/addressed/{addressed.pk}/"),
        (None, "/inbox/"),
    ]:
        response = page.goto(path)
        assert response.ok, (path, response.status)
        look(page, shots, name)
