"""Reference rows read on every request and changed a few times a year, kept per process.

A public submission names its station and category by code; a routing reads the routing
rules of the region's chain. Those rows change when an office edits them, a few times a
year, yet each request would otherwise pay a query (and the ORM's model building) for
them. A ``RefCache`` keeps the answers in the process:

- Any save or delete of a watched model clears the cache in the process that made it
  (signals), so a page or test that edits a row sees the change at once.
- Other processes (the other web workers, the Celery worker) see it after at most
  ``LIAISON_REFCACHE_SECONDS`` (default 30): each entry expires on its own. Setting it
  to 0 switches caching off.

Cached rows are shared between requests: callers must treat them as read-only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable

from django.conf import settings
from django.db.models.signals import post_delete, post_save

_MISSING = object()


class RefCache:
    def __init__(self, name: str, loader: Callable[[Hashable], object], *, watch: Iterable = ()):
        self.name = name
        self.loader = loader
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self._lock = threading.Lock()
        self._watched = list(watch)
        self._connected = False

    def _ttl(self) -> float:
        return float(getattr(settings, "LIAISON_REFCACHE_SECONDS", 30))

    def _connect(self) -> None:
        # Connected on first use, so the models named by label need not be imported
        # when the module that defines the cache is.
        if self._connected:
            return
        from django.apps import apps

        for model in self._watched:
            model = apps.get_model(model) if isinstance(model, str) else model
            for signal in (post_save, post_delete):
                signal.connect(self._on_change, sender=model, weak=False)
        self._connected = True

    def _on_change(self, **kwargs) -> None:
        self.clear()

    # Bulk writers (liaison/resources.py) may call it once instead of once per row.
    _on_change.bulk_safe = True

    def get(self, key: Hashable):
        """The loader's answer for ``key`` (``None`` answers are cached too)."""
        ttl = self._ttl()
        if ttl <= 0:
            return self.loader(key)
        self._connect()
        now = time.monotonic()
        entry = self._entries.get(key, _MISSING)
        if entry is not _MISSING and entry[0] > now:
            return entry[1]
        value = self.loader(key)
        with self._lock:
            if len(self._entries) > 10_000:  # codes come from the public: bound the memory
                self._entries.clear()
            self._entries[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
