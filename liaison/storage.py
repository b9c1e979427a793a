"""Private files: kept outside MEDIA_ROOT, so no URL ever serves them.

Job uploads and results (rosters with phone numbers, ledgers of opinions) are only
handed out by the job's permission-checked download view. MEDIA_ROOT is served by the
development server and, in production, by the proxy; PRIVATE_ROOT is served by nothing.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages


class PrivateStorage(FileSystemStorage):
    """A file-system storage rooted at ``settings.PRIVATE_ROOT``, read when used (so a
    test's or a worker's setting applies), that refuses to make URLs."""

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks.")


def private_storage():
    """The storage of private files (a callable, so migrations do not freeze a path)."""
    return storages["private"]
