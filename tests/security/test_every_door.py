"""Every door of the site, tried by every role (issue 9, item 10).

The walk takes every URL pattern the root resolver knows (the site, the admin with its
models' own views, ``/api/v1/``, Open311, the 12345 hotline, the schema pages, i18n),
fills its arguments from one world (``doors_world.py``: everything private lies in
Xidu township), and asks each role for it with GET, and with POST and an empty body.
The answer must be the one ``doors.py`` expects for that URL and role, never a 500,
and no answer to a role may carry a secret that role must not read.

A URL that ``doors.py`` does not list fails ``test_every_url_pattern_has_a_row``: a new
view gets its row (who may open it) before it gets in. To see what each role gets
today, run this module with ``DOORS_SHOW=1`` and ``-s``.
"""

import copy
import os
import re
import tempfile
import time
from http.cookies import SimpleCookie

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tests.security import doors
from tests.security.doors import ROLES
from tests.security.doors_world import SECRETS, SHOWN, build

pytestmark = pytest.mark.postgres

SHOW = bool(os.environ.get("DOORS_SHOW"))


# --- The patterns --------------------------------------------------------------------------


def patterns(resolver=None, prefix: str = "", namespace: str = ""):
    """``(key, route)`` of every URL pattern: the key is the pattern's name with its
    namespaces ("admin:stations_station_change"), or its route when it has no name."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from patterns(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield name or route, route


ROUTE_ARG = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")
REGEX_ARG = re.compile(r"\(\?P<(?P<name>\w+)>[^()]*\)")


def concrete(route: str, values: dict) -> str:
    """The route with its arguments filled in (path converters and regex groups)."""

    def value(match) -> str:
        name = match.group("name")
        if name not in values:
            raise KeyError(f"no value for <{name}> in {route!r}: add it to doors.py's row")
        return str(values[name])

    url = ROUTE_ARG.sub(value, REGEX_ARG.sub(value, route))
    return "/" + url.replace("^", "").replace("$", "").replace("\\", "")


# --- The roles' clients ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for the module, rolled back at its end. (The tests that use it ask for
    ``db`` too: that is what makes pytest-django set up the test database at all.)"""
    media = tempfile.TemporaryDirectory()
    with (
        override_settings(MEDIA_ROOT=media.name, PRIVATE_ROOT=media.name),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build()
        transaction.set_rollback(True)
    media.cleanup()


class Visitor:
    """One role: a page client (session) and an API client (token), cookies kept fixed."""

    def __init__(self, role: str, world):
        self.role = role
        user = world.users[role]
        self.page = Client()
        self.api = Client()
        if user is not None:
            self.page.force_login(user)
            self.api = Client(headers={"authorization": f"Token {world.tokens[role]}"})
        self.cookies = copy.deepcopy(self.page.cookies)

    def ask(self, method: str, url: str, *, api: bool, data=None):
        client = self.api if api else self.page
        # A sign-out, a sign-in or a message must not change what the next request is.
        client.cookies = SimpleCookie() if api else copy.deepcopy(self.cookies)
        cache.clear()  # rate-limit counters: the walk asks far more than a person would
        with transaction.atomic():
            try:
                if method == "GET":
                    response = client.get(url, data or {})
                elif api:
                    response = client.post(url, data or {}, content_type="application/json")
                else:
                    response = client.post(url, data or {})
            finally:
                # Whatever the request wrote is undone, so every door opens on the same world.
                transaction.set_rollback(True)
        return response


def classify(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response.get("Location", "")
        path = location.split("?", 1)[0]
        if path.endswith(("/accounts/login/", "/admin/login/")):
            return doors.LOGIN
        return doors.OK
    if status == 401:
        return doors.LOGIN
    if 200 <= status < 300:
        return doors.OK
    return {
        400: doors.INVALID,
        403: doors.FORBIDDEN,
        404: doors.NOT_FOUND,
        405: doors.NO_METHOD,
        409: doors.INVALID,
        413: doors.INVALID,
        415: doors.INVALID,
    }.get(status, str(status))


def secrets_in(response) -> set[str]:
    if getattr(response, "streaming", False):
        return set()
    body = response.content.decode("utf-8", "replace")
    return {secret for secret in SECRETS if secret in body}


# --- The tests ---------------------------------------------------------------------------------


def test_every_url_pattern_has_a_row():
    table = doors.table()
    missing = [key for key, _route in patterns() if key not in table]
    assert not missing, (
        "These URLs have no row in tests/security/doors.py, so nobody has said who may "
        "open them. Add a row for each (see the module's docstring):\n  " + "\n  ".join(missing)
    )


def test_every_row_is_a_url_pattern():
    keys = {key for key, _route in patterns()}
    stale = sorted(set(doors.table()) - keys)
    assert not stale, f"rows in tests/security/doors.py for URLs that are gone: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_every_door_answers_each_role_as_expected(db, world, role):
    table = doors.table()
    visitor = Visitor(role, world)
    wrong: list[str] = []
    seen: dict[str, dict[str, str]] = {}
    timings: list = []
    seen_secrets: set[str] = set()
    for key, route in patterns():
        door = table.get(key)
        if door is None:
            continue  # reported by test_every_url_pattern_has_a_row
        values = world.values | door.values(world, role)
        url = concrete(route, values)
        match = resolve(url.split("?", 1)[0])
        assert match.route.replace("^", "") == route.replace("^", ""), (key, url, match.route)
        api = url.startswith("/api/v1/")
        for method in ("GET", "POST"):
            expected = door.expected(method, role)
            if expected is None:
                continue
            started = time.perf_counter()
            try:
                response = visitor.ask(method, url, api=api, data=door.data(world, role, method))
            except Exception as exc:  # a crash is reported with the others
                wrong.append(f"{method} {url} [{key}]: crashed: {exc!r}")
                continue
            got = classify(response)
            if SHOW:
                timings.append((time.perf_counter() - started, method, url))
            seen.setdefault(key, {})[method] = f"{got} ({response.status_code})"
            if got != expected:
                wrong.append(
                    f"{method} {url} [{key}]: expected {expected}, got {got} "
                    f"({response.status_code} {response.get('Location', '')})"
                )
            shown = secrets_in(response)
            seen_secrets |= shown
            for secret in sorted(shown):
                if role not in SECRETS[secret]:
                    wrong.append(f"{method} {url} [{key}]: {response.status_code} shows {secret!r}")
    if SHOW:
        for took, method, url in sorted(timings, reverse=True)[:25]:
            print(f"{took * 1000:8.1f} ms {method} {url}")
        print(f"total {sum(t for t, *_ in timings):.1f} s in {len(timings)} requests")
        for key, answers in seen.items():
            print(f"{role:20} {key:60} {answers}")
    assert not wrong, f"{len(wrong)} doors answer {role} wrongly:\n" + "\n".join(wrong)
    assert SHOWN.get(role, set()) <= seen_secrets, "no page showed this role its own secret"
