import logging
import sys

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class LocaleMiddleware:
    """Chinese unless the visitor chose another language with the language switch.

    Django's own middleware would follow the browser's Accept-Language; a government
    site speaks Chinese first, so only the explicit choice (the language cookie) counts.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class RefuseNulMiddleware:
    """Refuse an address or query string holding a NUL character (``%00``) with a 400.

    PostgreSQL cannot store or compare text holding U+0000: the driver refuses the
    query with a ValueError, a server error wherever a view looks up a path segment or
    filters on a query parameter (a station code, ``?q=``, an admin list filter). Forms
    and serializers refuse NUL in the fields of a body themselves (Django's and DRF's
    ``ProhibitNullCharactersValidator``), with the message next to the field; an
    address has no field to put it next to, so the whole request is refused here,
    before any view runs. After ``LocaleMiddleware``, so the message is translated.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return refused_nul(request)
        return self.get_response(request)


def refused_nul(request) -> HttpResponse:
    """The 400 answer: the API's error body under /api/, a short page elsewhere."""
    message = _("Null characters are not allowed.")
    if request.path_info.startswith("/api/"):
        body = {"detail": message, "code": "null_characters_not_allowed"}
        return JsonResponse(body, status=400)
    page = render_to_string("liaison/bad_request.html", {"message": message}, request=request)
    return HttpResponse(page, status=400)


# --- The database is down or restarting -----------------------------------------------

# What a lost, refused or restarting database raises (connection refused, "the database
# system is starting up", "server closed the connection unexpectedly", a closed cursor).
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


class DatabaseUnavailableMiddleware:
    """While the database is unreachable, answer 503 with a clear page, never a traceback.

    A view's error reaches ``process_exception``; an error in another middleware (the
    session saved on the way out) is turned into a 500 by Django first, and is recognised
    here by the mark the ``got_request_exception`` receiver below leaves on the request.
    Nothing is kept between requests: Django drops a broken connection at the end of the
    request (``close_old_connections``) and checks it before reuse (CONN_HEALTH_CHECKS),
    so requests succeed again as soon as the database is back, without a restart.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "_liaison_database_down", False):
            return database_unavailable(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN):
            logger.warning("database unavailable (%s: %s)", type(exception).__name__, exception)
            return database_unavailable(request)
        return None


@receiver(got_request_exception)
def _mark_database_down(sender, request=None, **kwargs):
    if request is not None and isinstance(sys.exc_info()[1], DATABASE_DOWN):
        request._liaison_database_down = True


def database_unavailable(request) -> HttpResponse:
    """The 503 answer: the API's error body under /api/, the site's page elsewhere."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    supported = {code for code, _name in settings.LANGUAGES}
    with translation.override(chosen if chosen in supported else settings.LANGUAGE_CODE):
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {
                    "detail": str(_("The service is temporarily unavailable. Please try again.")),
                    "code": "service_unavailable",
                },
                status=503,
            )
        else:
            response = HttpResponse(_render_page(request), status=503)
        response.headers["Content-Language"] = translation.get_language()
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def _render_page(request) -> str:
    # The page must not need the database: no user from the session, no messages from
    # it (explicit context values take precedence over the context processors').
    try:
        return render_to_string(
            "503.html", {"user": AnonymousUser(), "messages": ()}, request=request
        )
    except Exception:  # a broken template must not turn the 503 into a 500
        logger.exception("the 503 page could not be rendered")
        return "<!DOCTYPE html><title>503</title><h1>{}</h1>".format(
            escape(_("Service temporarily unavailable"))
        )
