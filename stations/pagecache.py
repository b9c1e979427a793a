"""The public station page (the QR code's target), rendered once and kept in the cache.

Everyone who scans a station's poster asks for the same page; it changes only when the
station, its schedule, its reception days and duties or its deputies do. The article
(everything but the site's frame, which carries the visitor's own sign-in link and
CSRF token) is rendered once per station, language, host and day and kept in the
default cache (Redis in production, shared by every web worker):

- Any save or delete of a model the page shows bumps one version number in the cache,
  so every worker renders afresh on its next request. Changes made with ``bulk_create``
  or ``QuerySet.update()`` send no signal: the services that make them call
  ``station_pages_changed()``.
- Entries also expire after ``LIAISON_STATION_PAGE_SECONDS`` (default 300), and the key
  holds the date, because "next reception days" and whether a duty is announced yet
  depend on today.

For a visitor with nothing pending (no query string, no message to show) the whole
page is kept, frame included, keyed also on whether the visitor is signed in: the one
per-visitor part left, the CSRF token of the language form, is put in on the way out.
Each worker remembers the version for a second (``VERSION_MEMO_SECONDS``), so a hit is
one cache read; an edit made in another process shows within that second.
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from stations import qr, selectors

VERSION_KEY = "stations:page-version"
# Models whose rows appear on a station page.
WATCHED = (
    "stations.Station",
    "stations.ReceptionSchedule",
    "stations.ReceptionDay",
    "stations.Duty",
    "stations.Placement",
    "stations.Deputy",
    "stations.Membership",
    "stations.Congress",
    "liaison.Region",
)


def station_pages_changed(**kwargs) -> None:
    """Make every cached station page stale (cheap: one cache write).

    After commit: bumped earlier, a request in between could cache the old rows under
    the new version.
    """
    transaction.on_commit(_bump)


# Bulk writers (liaison/resources.py) may call it once instead of once per row.
station_pages_changed.bulk_safe = True


def _bump() -> None:
    version = time.time_ns()
    cache.set(VERSION_KEY, version, timeout=None)
    _memo.update(version=version, until=time.monotonic() + VERSION_MEMO_SECONDS)


def connect_signals() -> None:
    from django.apps import apps

    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(station_pages_changed, sender=model, dispatch_uid=f"stpage-s-{label}")
        post_delete.connect(station_pages_changed, sender=model, dispatch_uid=f"stpage-d-{label}")
        for field in model._meta.local_many_to_many:
            m2m_changed.connect(
                station_pages_changed,
                sender=field.remote_field.through,
                dispatch_uid=f"stpage-m-{label}-{field.name}",
            )


VERSION_MEMO_SECONDS = 1.0
_memo: dict = {"version": None, "until": 0.0}


def _version() -> int:
    now = time.monotonic()
    if _memo["version"] is not None and now < _memo["until"]:
        return _memo["version"]
    version = cache.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()
        # add(): two workers starting at once agree on the first one's number.
        if not cache.add(VERSION_KEY, version, timeout=None):
            version = cache.get(VERSION_KEY, version)
    _memo.update(version=version, until=now + VERSION_MEMO_SECONDS)
    return version


def _key(kind: str, request, code: str, *more) -> str:
    host = request.get_host() if not settings.SITE_URL else ""
    parts = (_version(), code, get_language(), host, timezone.localdate().isoformat(), *more)
    return f"stations:{kind}:" + ":".join(map(str, parts))


def station_article(request, code: str) -> tuple[str, str]:
    """(station name, the page's article HTML); 404 for an unknown or closed station."""
    key = _key("page", request, code)
    cached = cache.get(key)
    if cached is not None:
        name, html = cached
        return name, mark_safe(html)  # noqa: S308 -- rendered by our own template
    station = selectors.station_for_public_page(code=code)
    path = reverse("stations:station", args=[station.code])
    html = render_to_string(
        "stations/_station_article.html",
        {"station": station, "page_url": qr.absolute_url(request, path)},
    )
    cache.set(key, (station.name, str(html)), timeout=settings.LIAISON_STATION_PAGE_SECONDS)
    return station.name, html


# The language form's hidden CSRF input, as {% csrf_token %} writes it.
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
_CSRF_SLOT = "__liaison_csrf_slot__"


def station_page(request, code: str) -> HttpResponse:
    """The whole station page: from the cache when the visitor has nothing pending."""
    if request.GET or len(get_messages(request)):
        name, article = station_article(request, code)
        return render(
            request, "stations/station_detail.html", {"station_name": name, "article": article}
        )
    key = _key("fullpage", request, code, int(request.user.is_authenticated))
    html = cache.get(key)
    if html is None:
        name, article = station_article(request, code)
        html = render_to_string(
            "stations/station_detail.html",
            {"station_name": name, "article": article},
            request=request,
        )
        html = _CSRF_INPUT.sub(lambda m: m.group(1) + _CSRF_SLOT + m.group(2), html, count=1)
        cache.set(key, html, timeout=settings.LIAISON_STATION_PAGE_SECONDS)
    return HttpResponse(html.replace(_CSRF_SLOT, get_token(request), 1))
