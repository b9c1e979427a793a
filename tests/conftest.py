"""Shared fixtures: a small piece of Hunan and one named user per role.

Hengyang county (衡阳县, 430421) and Hengnan county (衡南县, 430422) are neighbours in
Hengyang city; the county clerks of each must never see the other's objects.
"""

import pytest
from django.db import connection

from tests.factories import make_region, make_user
from tests.fakes import silent_server
from tests.workers import broker, shared_media, worker  # noqa: F401  (fixtures)


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL; CI does)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # Tests speak plain HTTP to the test client; production redirects to HTTPS.
    settings.SECURE_SSL_REDIRECT = False
    # Pages render without a prior collectstatic run.
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    # Hundreds of deputies with accounts are made per test; a slow hash is for production.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _outbox_publisher_released():
    # The outbox's publisher thread keeps a database connection; it must let go of it
    # before the next test flushes tables and before the test database is dropped.
    yield
    from liaison.outbox import publisher_release

    publisher_release()


@pytest.fixture
def hunan(db):
    return make_region("430000000000", "湖南省")


@pytest.fixture
def hengyang(hunan):
    return make_region("430400000000", "衡阳市")


@pytest.fixture
def hengyang_county(hengyang):
    return make_region("430421000000", "衡阳县")


@pytest.fixture
def xidu(hengyang_county):
    return make_region("430421100000", "西渡镇")


@pytest.fixture
def hengnan_county(hengyang):
    return make_region("430422000000", "衡南县")


@pytest.fixture
def yunji(hengnan_county):
    return make_region("430422100000", "云集镇")


@pytest.fixture
def admin_user(db):
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def province_clerk(hunan):
    """Hana works in the Hunan provincial congress office."""
    return make_user("hana", role="office", region=hunan)


@pytest.fixture
def city_clerk(hengyang):
    return make_user("carol", role="office", region=hengyang)


@pytest.fixture
def county_clerk(hengyang_county):
    """Alice works in the Hengyang county congress office."""
    return make_user("alice", role="office", region=hengyang_county)


@pytest.fixture
def other_county_clerk(hengnan_county):
    """Bob works in the neighbouring Hengnan county office."""
    return make_user("bob", role="office", region=hengnan_county)


@pytest.fixture
def township_clerk(xidu):
    return make_user("tina", role="office", region=xidu)


@pytest.fixture
def deputy_user(db):
    return make_user("dora", role="deputy")


@pytest.fixture
def department_user(db):
    return make_user("dan", role="department")


@pytest.fixture
def english(client, settings):
    """The test client asks for English: pages are checked by their English text,
    whatever the Chinese catalogue holds. Modules use it with ``usefixtures``."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def silent_port():
    with silent_server() as port:
        yield port
