"""What the changelist scale tests (issue 6) measure the same way for every model: the
query budget, the pages fetched with their SQL captured, and the plans of the searches.

A module binds the first argument to its own changelist or model, e.g.
``get = partial(changelist_helpers.get, CHANGELIST)``.
"""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

# The most queries a changelist page may take, whoever looks and however.
MAX_QUERIES = 6
ROLES = ["admin_user", "province_clerk", "county_clerk"]
# Every page both with the count exact and with it the planner's estimate.
BOTH_COUNTS = pytest.mark.parametrize("cap", [100, 3], ids=["exact count", "estimated count"])


def get(changelist: str, client, params):
    response = client.get(reverse(changelist), params)
    assert response.status_code == 200, response.content[:300]
    return response


def listed(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def capture(changelist: str, client, params) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        get(changelist, client, params)
    return [query["sql"] for query in queries.captured_queries]


def plan(queryset) -> str:
    """The plan with every way of reading a table without an index condition priced
    out (the test's transaction only): what remains shows the index is usable."""
    with connection.cursor() as cursor:
        for method in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{method} = off")
    return queryset.order_by().explain()


def search(model, term):
    """The queryset the model's admin search makes of ``term``, which must not need
    DISTINCT."""
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    queryset, duplicates = model_admin.get_search_results(request, model.objects.all(), term)
    assert duplicates is False
    return queryset
