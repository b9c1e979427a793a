"""Baselines: the least a Django view can do for a POST that stores a row, and for a GET.

Both go through the same gunicorn, middleware and database connection settings as the
pages they are compared with; only the view's own work is left out.
"""

import json

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

TABLE = "bench_row"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
)


@csrf_exempt
@require_POST
def bare_insert(request):
    """Parse the JSON body and insert it as one row: P1's baseline."""
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (body) VALUES (%s) RETURNING id",  # noqa: S608
            [json.dumps(body, ensure_ascii=False)],
        )
        row_id = cursor.fetchone()[0]
    return JsonResponse({"id": row_id}, status=201)


@require_GET
def bare_hello(request):
    """A short string: P2's baseline."""
    return HttpResponse("hello", content_type="text/plain")
