"""The 503 answers of liaison.middleware.DatabaseUnavailableMiddleware, in-process: the
test's own database connection is pointed at a port nobody listens on (a real refused
connection), then back. The restart under load with real processes is in
test_database_restart.py."""

import pytest
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from tests.fakes import closed_port

pytestmark = pytest.mark.postgres


@pytest.fixture
def database_down(transactional_db):
    """While the test body runs, every new connection is refused."""
    real_port = connection.settings_dict["PORT"]

    def down():
        connection.close()
        connection.settings_dict["PORT"] = closed_port()

    def up():
        connection.close()
        connection.settings_dict["PORT"] = real_port

    yield down, up
    up()


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def test_pages_answer_a_chinese_503_page_while_the_database_is_down(client, database_down):
    down, up = database_down
    down()
    response = client.get("/")
    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert 'lang="zh-Hans"' in page and zh("Deputy Liaison Stations") in page
    assert zh("Service temporarily unavailable") in page
    assert "Traceback" not in page and "OperationalError" not in page
    up()
    assert client.get("/").status_code == 200  # the next request reconnects


def test_the_api_answers_its_json_error_while_the_database_is_down(client, database_down):
    down, up = database_down
    down()
    response = client.get("/api/v1/categories/")
    assert response.status_code == 503
    assert response.json() == {
        "detail": zh("The service is temporarily unavailable. Please try again."),
        "code": "service_unavailable",
    }
    up()
    assert client.get("/api/v1/categories/").status_code == 200


def test_an_english_visitor_gets_the_page_in_english(client, database_down, settings):
    down, _up = database_down
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    down()
    response = client.get("/ballots/")
    assert response.status_code == 503
    assert "Service temporarily unavailable" in response.content.decode()


def test_a_signed_in_user_whose_session_cannot_be_read_gets_the_503_page(
    client, database_down, deputy_user
):
    # The session and the user are read by middleware, before any view: Django turns
    # that error into a 500, which the middleware recognises and answers as a 503.
    down, _up = database_down
    client.force_login(deputy_user)
    client.raise_request_exception = False
    down()
    response = client.get("/inbox/")
    assert response.status_code == 503
    assert zh("Service temporarily unavailable") in response.content.decode()
