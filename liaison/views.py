import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from liaison.celery import app as celery_app

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True
    except Exception:
        logger.exception("healthz: database check failed")
        return False


def _broker_ok() -> bool:
    # One connection attempt with the short timeouts of liaison/celery.py: a dead or
    # silent broker makes this answer "down" in about two seconds, never hang.
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        logger.warning("healthz: broker check failed", exc_info=True)
        return False


@never_cache
@require_safe
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded"}
        | {name: "ok" if ok else "down" for name, ok in checks.items()},
        status=200 if healthy else 503,
    )


def inbox(request):
    raise NotImplementedError  # written next: the in-app inbox
