"""Liaison settings, read from the environment.

Every setting an operator may change is an environment variable, listed in README.md.
Without any of them the project runs as a self-contained development site: a SQLite
file in WAL mode, an embedded Celery transport on the file system, the console SMS
backend. With ``DATABASE_URL`` and ``CELERY_BROKER_URL`` it runs on PostgreSQL and Redis.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LIAISON_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# --- Core ---------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
# The development key is refused by `check --deploy` (it is short and prefixed
# "django-insecure-"), so a production site cannot start with it unnoticed.
SECRET_KEY = os.environ.get(
    "SECRET_KEY", "django-insecure-development-key-do-not-use-in-production"
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The absolute origin printed into QR codes and posters, e.g. https://lls.example.gov.cn.
# Without it the origin of the current request is used.
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "liaison.apps.LiaisonAdminConfig",  # django.contrib.admin with Liaison's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served as our static files (no CDN)
    "import_export",
    "rules.apps.AutodiscoverRulesConfig",
    "auditlog",
    # Sign-in lockout, two-factor codes for staff, Content-Security-Policy
    # (liaison/security.py, liaison/twofactor.py).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "liaison",
    "stations",
    "suggestions",
    "votes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "liaison.security.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A database that is down or restarting answers 503 (a page, or the API's error
    # body), never a traceback; outside the session middleware, which may write.
    "liaison.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "liaison.middleware.LocaleMiddleware",
    # A NUL (%00) in the address or query string: 400 before any view queries with it.
    "liaison.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # An enrolled staff account signed in with its password only reaches the code step.
    "django_otp.middleware.OTPMiddleware",
    "liaison.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Who made a change: django-auditlog records the request's user on every entry (not the
    # client's address: public submitters' addresses are not kept; AUDITLOG_DISABLE_REMOTE_ADDR).
    "auditlog.middleware.AuditlogMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Per-address limits on the sign-in pages and the rating link (liaison/security.py).
    "liaison.security.RateLimitMiddleware",
    # Last: turns a sign-in refused for a lockout into the lockout page (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "liaison.urls"
WSGI_APPLICATION = "liaison.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'liaison.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server, the worker and beat read while one of them writes;
    # IMMEDIATE transactions take the write lock up front instead of failing with
    # "database is locked" halfway through.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif "postgresql" in DATABASES["default"]["ENGINE"]:
    # An unreachable database host must fail a request in seconds (a 503), not hold a
    # worker for the kernel's TCP timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Users and permissions ----------------------------------------------------------

AUTH_USER_MODEL = "liaison.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in of a locked username and address (django-axes).
    "liaison.security.LockoutBackend",
    # Role- and region-based permissions, written as predicates in each app's rules.py.
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "start"
LOGOUT_REDIRECT_URL = "stations:home"

# --- Language and time --------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Files no URL serves (job uploads and results): see liaison/storage.py.
PRIVATE_ROOT = Path(os.environ.get("PRIVATE_ROOT", VAR_DIR / "private"))
# The embedded database, broker folders and static files live under var/ (git-ignored).
for _folder in (VAR_DIR, STATIC_ROOT, MEDIA_ROOT, PRIVATE_ROOT):
    _folder.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "liaison.storage.PrivateStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -----------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from our own static files, never
# inline (tests/security/test_headers.py fails on an inline script or event handler);
# a <style> block needs the request's nonce (``nonce="{{ request.csp_nonce }}"``).
# Style *attributes* stay allowed (progress bars' widths): they cannot run script, and
# images, fonts and connections are limited to this site anyway.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# No page uses these browser features; no script may ask for them.
LIAISON_PERMISSIONS_POLICY = os.environ.get(
    "LIAISON_PERMISSIONS_POLICY",
    "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
)
if not DEBUG:
    # Production sits behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- REST framework -----------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # Conventions of the API: liaison/api.py's docstring.
    "DEFAULT_PAGINATION_CLASS": "liaison.api.Pagination",  # ?limit=&offset=, at most 200
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",  # only where a view names search_fields
        "liaison.api.OrderingFilter",  # only where a view names ordering_fields
    ],
    # One error shape: {"detail", "code"} (+ "errors" per field for invalid input).
    "EXCEPTION_HANDLER": "liaison.api.exception_handler",
    # drf_spectacular.openapi.AutoSchema, declaring each view's error answers as well.
    "DEFAULT_SCHEMA_CLASS": "liaison.api_schema.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "人大代表联络站数字平台 API",
    "DESCRIPTION": (
        "Stations, deputies, opinions and suggestions, livelihood-project ballots. "
        "Sign in with POST /api/v1/auth/token/ and send `Authorization: Token <key>`; "
        'errors are {"detail", "code"} (+ "errors" per field); lists take ?limit=&offset=.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SERVERS": [{"url": "/", "description": "This site"}],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The documentation pages' JavaScript and CSS come from drf-spectacular-sidecar through
    # our static files, so they work on a closed network (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name get names of their own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "StationKindEnum": "stations.models.Station.Kind",
        "ProjectStatusEnum": "votes.models.Project.Status",
    },
}
# How many reverse proxies stand in front of the site. Rate limits count the client
# address the nearest proxy saw; with none set, only REMOTE_ADDR is trusted.
NUM_PROXIES = int(os.environ["NUM_PROXIES"]) if os.environ.get("NUM_PROXIES") else None
if NUM_PROXIES is not None:
    REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES

# --- Celery -------------------------------------------------------------------------

# Without a broker URL, Celery uses kombu's file-system transport: a folder of message
# files that the web server, the worker and beat share. It needs no server, so
# `make run` really runs a worker and beat, and it keeps messages across restarts.
CELERY_BROKER_DIR = VAR_DIR / "celery-broker"
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_DIR),
        "data_folder_out": str(CELERY_BROKER_DIR),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
        # Broadcast (remote control) messages; kombu's default is ./control in the cwd.
        "control_folder": str(VAR_DIR / "celery-control"),
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        # A dead or silent Redis must not hang a web request: fail fast, the outbox
        # keeps the work until the broker is back.
        "socket_timeout": 2,
        "socket_connect_timeout": 2,
        # Longer than any task runs; deadlines are never ETAs (they live in the DB).
        "visibility_timeout": 3600,
    }
)
if CELERY_BROKER_URL.startswith("filesystem"):
    for _folder in (CELERY_BROKER_DIR, VAR_DIR / "celery-processed", VAR_DIR / "celery-control"):
        _folder.mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Publish outbox rows the after-commit fast path could not (broker down or slow).
    # Every 5 seconds: "assign promptly" (交办及时) means seconds, and a pass over an
    # empty outbox is one indexed query.
    "liaison-relay-outbox": {
        "task": "liaison.tasks.relay_outbox",
        "schedule": 5.0,
    },
    # SMS and e-mails whose delivery task was lost or gave up are queued again.
    "liaison-retry-stale-notifications": {
        "task": "liaison.tasks.retry_stale_notifications",
        "schedule": 10 * 60.0,
    },
    # Materialise the next weeks of reception days from each station's schedule, so the
    # public pages and duty reminders read rows, not rules. Daily is enough: schedules
    # look weeks ahead and staff edits call the same service at once.
    # Deadlines live in the database; this sweep sends reminders before them and overdue
    # notices (督办) after them. Every 15 minutes: the notice is due "the day after", and
    # each (item, kind, due date) is sent once however often the sweep runs.
    "suggestions-sweep-deadlines": {
        "task": "suggestions.tasks.sweep_deadlines",
        "schedule": 15 * 60.0,
    },
    # Each department's morning digest of what it has open, due soon and overdue.
    "suggestions-department-digests": {
        "task": "suggestions.tasks.send_department_digests",
        "schedule": crontab(hour=8, minute=30),
    },
    # B-class deputy suggestions come back for review (回头看) on their review date.
    "suggestions-remind-reviews": {
        "task": "suggestions.tasks.remind_reviews",
        "schedule": crontab(hour=8, minute=40),
    },
    # Replies not rated within LIAISON_RATING_DAYS are recorded as "not rated" and closed.
    "suggestions-expire-ratings": {
        "task": "suggestions.tasks.expire_ratings",
        "schedule": crontab(hour=2, minute=0),
    },
    # Names, phones and photos are removed once their stated keeping period is over.
    "suggestions-expire-personal-data": {
        "task": "suggestions.tasks.expire_personal_data",
        "schedule": crontab(hour=3, minute=0),
    },
    "stations-roll-reception-days": {
        "task": "stations.tasks.roll_reception_days",
        "schedule": crontab(hour=1, minute=10),
    },
    # The evening before a reception day, each deputy on duty gets an inbox message and
    # an SMS; once per duty and day, however often the task runs.
    # Livelihood projects: overdue milestones are chased once a day, after the office
    # opens (each milestone and due date once, by the notification's dedupe key).
    "votes-remind-milestones": {
        "task": "votes.tasks.remind_overdue_milestones",
        "schedule": crontab(hour=8, minute=50),
    },
    "stations-remind-duties": {
        "task": "stations.tasks.remind_duties",
        "schedule": crontab(hour=18, minute=0),
    },
}

# --- Notifications ------------------------------------------------------------------

SMS_BACKEND = os.environ.get("SMS_BACKEND", "liaison.sms.ConsoleSmsBackend")
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = os.environ.get("SMS_HTTP_TOKEN", "")
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "人大代表联络站")
# E-mail (overdue notices to supervisors): console by default, SMTP from EMAIL_URL-style
# settings when an operator sets EMAIL_HOST.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "liaison@localhost")

# --- Logging ------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# --- Liaison ------------------------------------------------------------------------

# How many days of reception occurrences are kept materialised ahead of today.
LIAISON_RECEPTION_HORIZON_DAYS = int(os.environ.get("LIAISON_RECEPTION_HORIZON_DAYS", "92"))
# How long a rendered station page is kept (stations/pagecache.py; any change to what
# it shows makes it stale at once), and how long a process keeps reference rows such as
# stations and categories by code (liaison/refcache.py; other processes see an edit
# after at most this long).
LIAISON_STATION_PAGE_SECONDS = int(os.environ.get("LIAISON_STATION_PAGE_SECONDS", "300"))
LIAISON_REFCACHE_SECONDS = int(os.environ.get("LIAISON_REFCACHE_SECONDS", "30"))
# Default advance notice of a reception day, in days (the seeds give 2-3 days).
LIAISON_RECEPTION_NOTICE_DAYS = int(os.environ.get("LIAISON_RECEPTION_NOTICE_DAYS", "3"))
# How many days after a duty a deputy may still record their own attendance; later
# only the office can.
LIAISON_ATTENDANCE_SELF_DAYS = int(os.environ.get("LIAISON_ATTENDANCE_SELF_DAYS", "7"))
# The largest evidence file (photo or PDF) a deputy may attach to a points claim: 5 MB.
LIAISON_EVIDENCE_MAX_BYTES = int(os.environ.get("LIAISON_EVIDENCE_MAX_BYTES", "5242880"))

# Suggestions (五环五时): the handling time limit when no rule gives one, the reminder
# lead time, how long a constituent has to rate a reply before it counts as "not rated",
# and the time limit for re-handling after an "unsatisfied" rating; all working days
# except the rating window (calendar days, as the SMS says).
LIAISON_DEFAULT_TIME_LIMIT = int(os.environ.get("LIAISON_DEFAULT_TIME_LIMIT", "15"))
LIAISON_REMINDER_WORKDAYS = int(os.environ.get("LIAISON_REMINDER_WORKDAYS", "2"))
LIAISON_RATING_DAYS = int(os.environ.get("LIAISON_RATING_DAYS", "7"))
# Working days a deputy has to act on an opinion addressed to them before it is routed.
LIAISON_DEPUTY_DECISION_WORKDAYS = int(os.environ.get("LIAISON_DEPUTY_DECISION_WORKDAYS", "5"))
# An opinion still unrouted this long after it came in (a worker died holding its
# routing task) is queued again by the deadline sweep (suggestions.services.routing_retry).
LIAISON_ROUTING_RETRY_MINUTES = int(os.environ.get("LIAISON_ROUTING_RETRY_MINUTES", "15"))
# Deputy suggestions: months for re-handling after an "unsatisfied" rating (a local rule,
# 1–3 months) and months until a B-class item's review (回头看).
LIAISON_DEPUTY_REHANDLE_MONTHS = int(os.environ.get("LIAISON_DEPUTY_REHANDLE_MONTHS", "2"))
LIAISON_REVIEW_MONTHS = int(os.environ.get("LIAISON_REVIEW_MONTHS", "6"))
LIAISON_REOPEN_WORKDAYS = int(os.environ.get("LIAISON_REOPEN_WORKDAYS", "10"))
# The personal-information notice shown on the form; bump the version when it changes.
LIAISON_PRIVACY_NOTICE_VERSION = "2026-11"
# How long constituents' names and phones are kept after an item closes (days).
LIAISON_PERSONAL_DATA_DAYS = int(os.environ.get("LIAISON_PERSONAL_DATA_DAYS", "730"))
# Constituents' names and phones are encrypted at rest (liaison/crypto.py): Fernet keys,
# comma-separated, the first encrypts and all decrypt; and a separate key for the phone
# index (HMAC). Without them (development) both are derived from SECRET_KEY, and
# `check --deploy` reports an error.
LIAISON_FIELD_KEYS = env_list("LIAISON_FIELD_KEYS")
LIAISON_HMAC_KEY = os.environ.get("LIAISON_HMAC_KEY", "")
# At most this many files in one request (the form takes 3 photos).
DATA_UPLOAD_MAX_NUMBER_FILES = 5
# Abuse limits for the public form and tracking (per client address).
LIAISON_SUBMIT_RATE = os.environ.get("LIAISON_SUBMIT_RATE", "10/h")
LIAISON_TRACK_RATE = os.environ.get("LIAISON_TRACK_RATE", "30/h")
# Project proposals from the public form (per client address), and API token requests
# (per address: a password guesser gets few tries).
LIAISON_PROPOSAL_RATE = os.environ.get("LIAISON_PROPOSAL_RATE", "10/h")
LIAISON_TOKEN_RATE = os.environ.get("LIAISON_TOKEN_RATE", "20/h")
# Sign-in pages and the second-factor step (per address, counted together): an office
# behind one address signs in far less often; a guesser is stopped early.
LIAISON_LOGIN_RATE = os.environ.get("LIAISON_LOGIN_RATE", "60/h")
# Ratings through the link of the reply SMS (per address).
LIAISON_RATING_RATE = os.environ.get("LIAISON_RATING_RATE", "30/h")

# Lockout (django-axes, liaison/security.py): this many failed sign-ins (or wrong
# second-factor codes) for one username from one address lock that pair for the
# cool-off; a superuser can lift it in the admin sooner.
AXES_FAILURE_LIMIT = int(os.environ.get("LIAISON_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LIAISON_LOGIN_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures are cleared when a sign-in completes, after the second factor where there is
# one (liaison/twofactor.py), not at the password: else a password would buy new tries
# at the code.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "liaison.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "liaison.security.axes_client_ip"
AXES_USERNAME_CALLABLE = "liaison.security.axes_username"
AXES_ENABLE_ADMIN = False  # liaison.security.AccessAttemptAdmin instead, translated
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are not kept (no address trail)
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "csrfmiddlewaretoken"]
AXES_VERBOSE = False

# Two-factor sign-in for staff (liaison/twofactor.py): optional for each staff account,
# required for superusers when this is on.
LIAISON_REQUIRE_2FA_SUPERUSERS = env_bool("LIAISON_REQUIRE_2FA_SUPERUSERS", False)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "人大代表联络站")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Admin lists count rows exactly up to this many; above it they show PostgreSQL's
# estimate ("about N"), so no page ever counts a million-row table (liaison/changelist.py).
LIAISON_CHANGELIST_EXACT_COUNT_LIMIT = int(
    os.environ.get("LIAISON_CHANGELIST_EXACT_COUNT_LIMIT", "10000")
)

# The audit trail keeps who changed what, not where from (see MIDDLEWARE).
AUDITLOG_DISABLE_REMOTE_ADDR = True

# --- Background jobs (liaison/jobs.py) ----------------------------------------------

# Imports, exports and reports with more rows than this run as background jobs with a
# progress page; smaller ones stay in the request.
LIAISON_JOB_THRESHOLD = int(os.environ.get("LIAISON_JOB_THRESHOLD", "5000"))
# The largest file the admin accepts for an import (20 MB holds ~200,000 rows of xlsx).
LIAISON_IMPORT_MAX_BYTES = int(os.environ.get("LIAISON_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# Finished jobs and their files (uploads, exports) are deleted after this many days.
LIAISON_JOB_RETENTION_DAYS = int(os.environ.get("LIAISON_JOB_RETENTION_DAYS", "7"))
# A job queued or running this long lost its worker: it is marked failed.
LIAISON_JOB_STALE_HOURS = int(os.environ.get("LIAISON_JOB_STALE_HOURS", "12"))
# Daily, at night: files of finished jobs hold personal data and are kept no longer
# than needed; once a day is enough for a retention counted in days.
CELERY_BEAT_SCHEDULE["liaison-clean-up-jobs"] = {
    "task": "liaison.tasks.clean_up_jobs",
    "schedule": crontab(hour=3, minute=30),
}

# --- 12345 hotline callbacks (suggestions/hotline.py, docs/hotline.md) ----------------

# A callback that fails is tried again after 1, 2, 4, 8 … times the base delay; after
# the last try it waits on the admin's dead-letter list for "retry now".
LIAISON_HOTLINE_MAX_ATTEMPTS = int(os.environ.get("LIAISON_HOTLINE_MAX_ATTEMPTS", "8"))
LIAISON_HOTLINE_RETRY_SECONDS = int(os.environ.get("LIAISON_HOTLINE_RETRY_SECONDS", "60"))
# Seconds to connect to and hear from the hotline: a slow hotline must not hold a worker.
LIAISON_HOTLINE_TIMEOUT = float(os.environ.get("LIAISON_HOTLINE_TIMEOUT", "5"))
# Every minute: the shortest backoff is a minute, and an idle pass is one indexed query.
CELERY_BEAT_SCHEDULE["suggestions-retry-hotline-callbacks"] = {
    "task": "suggestions.tasks.retry_hotline_callbacks",
    "schedule": 60.0,
}
