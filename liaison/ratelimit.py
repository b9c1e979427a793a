"""Fixed-window rate limits kept in the default cache, shared by the public pages and the API.

Usage::

    from liaison import ratelimit

    if not ratelimit.hit(scope="track", key=ratelimit.client_key(request), rate="30/h"):
        ...  # answer 429, with ratelimit.retry_after("30/h") in Retry-After

A rate is ``"<count>/<period>"``: the period is ``s``, ``m``, ``h`` or ``d`` (a longer word
such as ``hour`` works too), optionally with a multiplier (``"5/10m"``). An empty rate
means no limit, so an operator can switch a limit off with an empty setting.

Windows are fixed and aligned to the epoch: a client may send up to twice the count
across a window boundary, the usual price of one counter per client and window. A hit is
an atomic ``cache.add`` (the window's first) or ``cache.incr`` (every later one), so
concurrent requests never lose a count on Redis, memcached or the local-memory cache.

Requests are counted by ``REMOTE_ADDR`` only; ``X-Forwarded-For`` is never trusted, as
any client can send it. Behind a reverse proxy the proxy must hand the client's address
to the application server as its peer address, or every client shares one count.
"""

import functools
import hashlib
import ipaddress
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE_RE = re.compile(r"^(\d+)/(\d*)([smhd])[a-z]*$")
# A provider hands one subscriber a whole /64: counting single IPv6 addresses would let
# one phone rotate through billions of them.
IPV6_PREFIX = 64


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int] | None:
    """``"10/h"`` → ``(10, 3600)``; ``"5/10m"`` → ``(5, 600)``; empty → ``None`` (no limit)."""
    text = "".join((rate or "").split()).lower()
    if not text:
        return None
    match = _RATE_RE.match(text)
    if not match:
        raise ImproperlyConfigured(f"Invalid rate {rate!r}: write it like '10/h' or '30/m'.")
    count, multiplier, unit = match.groups()
    seconds = int(multiplier or 1) * PERIODS[unit]
    if seconds <= 0:
        raise ImproperlyConfigured(f"Invalid rate {rate!r}: the period must be positive.")
    return int(count), seconds


def client_ip(request) -> str:
    """The client's address, or ``""``.

    ``REMOTE_ADDR`` unless ``NUM_PROXIES`` says how many reverse proxies stand in
    front; then the ``X-Forwarded-For`` entry the nearest proxy added (the same rule
    the API's throttles follow, so both count the same address).
    """
    address = (request.META.get("REMOTE_ADDR") or "").strip()
    proxies = getattr(settings, "NUM_PROXIES", None)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        address = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""


def client_key(request) -> str:
    """What limits count against: the IPv4 address, or the /64 network of an IPv6 one."""
    address = client_ip(request)
    if not address:
        return "unknown"
    parsed = ipaddress.ip_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False))
    return address


def _window(seconds: int, now: float) -> tuple[int, int]:
    """The current window's number and the seconds left in it."""
    return int(now // seconds), seconds - int(now % seconds)


def hit(*, scope: str, key: str, rate: str) -> bool:
    """Count one request of ``key`` in ``scope``; True if it is within ``rate``.

    Every call counts, the refused ones too: a client that keeps trying stays blocked
    until the window ends. If the cache fails the request is allowed (and logged): an
    abuse limit must not take the public form down with it.
    """
    parsed = parse_rate(rate)
    if parsed is None:
        return True
    limit, seconds = parsed
    window, left = _window(seconds, time.time())
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{scope}:{seconds}:{window}:{digest}"
    try:
        count = _increment(cache_key, timeout=left + 1)
    except Exception:
        logger.warning("Rate limit %s not counted: the cache failed", scope, exc_info=True)
        return True
    return count <= limit


def _increment(cache_key: str, *, timeout: int) -> int:
    for _attempt in range(3):
        if cache.add(cache_key, 1, timeout=timeout):
            return 1
        try:
            return cache.incr(cache_key)
        except ValueError:
            continue  # the key expired between add and incr: start the window again
    raise RuntimeError(f"Could not count {cache_key}")


def retry_after(rate: str) -> int:
    """Seconds until the current window of ``rate`` ends (for a Retry-After header)."""
    parsed = parse_rate(rate)
    if parsed is None:
        return 0
    return _window(parsed[1], time.time())[1]
