"""Settings for `make bench`: the production settings, plus the bench-only baseline views.

Only the benchmark runs with these (``DJANGO_SETTINGS_MODULE=bench.settings``); the
production URLconf never has the bare views. Rate limits per client address are off,
because every request of the load generator comes from 127.0.0.1.
"""

from liaison.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

# Plain HTTP on 127.0.0.1: no redirect to HTTPS, no secure-only cookies.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# Every request comes from one address: switch the per-address limits off.
LIAISON_SUBMIT_RATE = ""
LIAISON_TRACK_RATE = ""
LIAISON_PROPOSAL_RATE = ""
LIAISON_TOKEN_RATE = ""

# Pages render without a collectstatic run (static URLs are not what is measured).
STORAGES = STORAGES | {  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
}
