import logging
import posixpath
from pathlib import PurePosixPath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe
from django.views.static import serve

from liaison.celery import app as celery_app
from liaison.models import Notification

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


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def inbox(request):
    """The in-app inbox of any account: newest first, unread in bold.

    ``?open=<id>`` marks one message read and follows its link when that link is a path
    on this site; a POST with ``action=mark_all_read`` marks them all read.
    """
    notifications = Notification.objects.filter(
        recipient=request.user, channel=Notification.Channel.INBOX
    )
    if request.method == "POST":
        if request.POST.get("action") != "mark_all_read":
            return HttpResponseBadRequest()
        if notifications.filter(read_at__isnull=True).update(read_at=timezone.now()):
            messages.success(request, _("All messages are marked as read."))
        return redirect("inbox")

    open_id = request.GET.get("open")
    if open_id is not None:
        if not (open_id.isascii() and open_id.isdigit()):
            raise Http404
        notification = get_object_or_404(notifications, pk=int(open_id))
        if notification.read_at is None:
            notifications.filter(pk=notification.pk, read_at__isnull=True).update(
                read_at=timezone.now()
            )
        link = notification.link
        # Follow only a path on this site: "/work/items/5/", never "https://…", "//host"
        # or "/\\host", which browsers read as another host (no open redirect).
        if link.startswith("/") and url_has_allowed_host_and_scheme(link, allowed_hosts=set()):
            return HttpResponseRedirect(link)
        return redirect("inbox")

    unread_count = notifications.filter(read_at__isnull=True).count()
    page = Paginator(notifications.order_by("-created_at", "-id"), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "liaison/inbox.html",
        {"page": page, "unread_count": unread_count, "section": "inbox"},
    )


@never_cache
@login_required
@require_safe
def start(request):
    """Where signing in lands: each role's own workspace."""
    user = request.user
    if user.is_staff:
        return redirect("admin:index")
    if user.role == "department":
        return redirect("suggestions:workspace")
    if user.role == "deputy":
        return redirect("suggestions:deputy_home")
    return redirect("inbox")


# --- Uploaded pictures in development ------------------------------------------------------

# What MEDIA_ROOT holds that pages link to: pictures re-encoded by liaison.images, under
# the extension of what they were encoded as.
MEDIA_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
# Points evidence lies under MEDIA_ROOT/points/ but is handed out only by its
# permission-checked view (stations.views.points_evidence), never by its path.
MEDIA_PRIVATE = ("points/",)
# Even a file that is not what its name says could not run a script or load anything.
MEDIA_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


@require_safe
def media(request, path: str):
    """``/media/<path>`` under ``make run`` (``DEBUG``); in production the proxy serves
    MEDIA_ROOT with the same rules and headers (README, "Deploying for real").

    Only pictures, typed by their extension and never sniffed, in a sandbox; anything
    else, and the private evidence folder, is a 404.
    """
    path = posixpath.normpath(path).lstrip("/")
    content_type = MEDIA_TYPES.get(PurePosixPath(path).suffix.lower())
    if content_type is None or path.startswith(MEDIA_PRIVATE):
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["Content-Type"] = content_type
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    return response
