"""Fuzzing: every operation of the schema, with data generated from the schema itself.

schemathesis reads ``/api/schema/`` from the application (WSGI, in this process, on the
test database) and sends each operation requests made from its parameters and body
schemas, as an anonymous visitor, a deputy (token) and a county clerk (token). Every
answer must be a non-5xx and must match the response schema declared for its status.

Derandomized (the same requests on every run, so CI is deterministic) and bounded: a few
examples per operation and role keep the whole file under about 90 seconds. Raise
``FUZZ_EXAMPLES`` locally to search harder.
"""

import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.factories import make_user

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))


def _load_schema():
    """The schema /api/schema/ serves, generated in-process, with the WSGI app to call.

    Made at collection, so no fixture is active (no plain-HTTP settings, no database);
    generating it reads no row. ``schemathesis.pytest.from_fixture`` would load it
    lazily, but does not run on pytest 9.
    """
    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))


schema = _load_schema()


@pytest.fixture
def wsgi_app(settings):
    # Made per test, after the settings fixtures: middleware reads settings when built
    # (SecurityMiddleware's HTTPS redirect, for one).
    app = get_wsgi_application()
    # Requests go through the real WSGI handler, whose request_started/finished signals
    # close "old" connections: inside the test's transaction that would close the
    # test's own. Django's test client unhooks them the same way while it runs.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield app
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db, api_deputy, project, hengyang_county) -> dict[str, dict]:
    """The Authorization header of each role (none for the anonymous visitor)."""
    clerk = make_user("alice", role="office", region=hengyang_county)
    return {
        "anonymous": {},
        "deputy": {"Authorization": f"Token {Token.objects.create(user=api_deputy.user).key}"},
        "county_clerk": {"Authorization": f"Token {Token.objects.create(user=clerk).key}"},
    }


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_without_a_server_error_and_as_documented(case, wsgi_app, tokens):
    # Each generated request is sent once per role: the same input, three callers.
    for headers in tokens.values():
        case.call_and_validate(
            app=wsgi_app,
            headers=headers,
            checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
        )
