"""What the apps' web pages share: a per-address rate limit whose refusal is the same
page under a notice (429, with what was typed kept), and the deputy behind a deputy's
account.

The apps' views import these; liaison itself imports no app.
"""

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from liaison import ratelimit
from liaison.models import User

if TYPE_CHECKING:
    from stations.models import Deputy


def blocked(request, *, scope: str, rate: str) -> int | None:
    """Count the request against its limit: None if allowed, else the seconds to wait."""
    if ratelimit.hit(scope=scope, key=ratelimit.client_key(request), rate=rate):
        return None
    return max(1, ratelimit.retry_after(rate))


def render_limited(request, template: str, context: dict, wait: int | None):
    """The page; when the request was over its limit (``wait`` from ``blocked``), the
    same page (with what was typed kept) under the notice of
    ``includes/_rate_limited.html``, answered 429 Too Many Requests."""
    if wait is None:
        return render(request, template, context)
    retry_at = timezone.localtime() + dt.timedelta(seconds=wait)
    context |= {"retry_at": retry_at, "retry_same_day": retry_at.date() == timezone.localdate()}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(wait)
    return response


def deputy_or_403(user: User) -> "Deputy":
    """The deputy behind the account; 403 for anyone else (no deputy role, or the role
    without a deputy record)."""
    deputy = getattr(user, "deputy", None) if user.role == User.Role.DEPUTY else None
    if deputy is None:
        raise PermissionDenied
    return deputy
