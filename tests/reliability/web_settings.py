"""Settings of the web server the database-restart test runs: the project's own, with
static files served from the source folders (no collectstatic run before the test)."""

from liaison.settings import *  # noqa: F403

STORAGES = STORAGES | {  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
}
