"""Settings for the OSINT editorial desk.

Everything that differs between a laptop and production comes from the
environment through the typed helpers in `osint.env`; with no variable set the
project runs embedded: a SQLite file beside the code and tasks run in-process.
"""

import json
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from osint.env import (
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_str,
    env_url,
)
from osint.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

# The embedded default is a development desk; production sets DEBUG=0 and
# must then name its own secret key and hosts.
DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "osint.apps.DeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "feeds",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "osint.urls"
WSGI_APPLICATION = "osint.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database_from_url(url: str) -> dict[str, object]:
    try:
        config: dict[str, object] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
    except Exception as exc:  # the library raises several kinds for one cause
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} is not a database URL ({exc}); "
            "use postgres://user@host:port/name or sqlite:///path"
        ) from None
    engine = str(config.get("ENGINE", ""))
    if engine.endswith("postgresql"):
        config.setdefault("OPTIONS", {})
    elif engine.endswith("sqlite3"):
        config["OPTIONS"] = _SQLITE_OPTIONS
        config["CONN_MAX_AGE"] = 0
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL={url!r} names an unsupported database; "
            "use PostgreSQL or SQLite."
        )
    return config


# WAL and a busy timeout let the web process and an in-process worker share
# the embedded SQLite file without "database is locked" errors. In WAL mode
# with synchronous=NORMAL a commit does not sync; a checkpoint does, in the
# worker whose commit set it off. An ingest commit writes about 250 pages,
# so the default of a checkpoint every 1,000 pages stalled every fourth one;
# every 10,000 (about 40 MB) took two to four points off the workers' idle
# time in bench/ingest.py. The WAL file is cut back to 64 MB after one.
_SQLITE_OPTIONS = {
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        " PRAGMA wal_autocheckpoint=10000; PRAGMA journal_size_limit=67108864;"
    ),
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

_database_url = env_url("DATABASE_URL", ("postgres", "postgresql", "pgsql", "sqlite"))
if _database_url:
    DATABASES = {"default": _database_from_url(_database_url)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": _SQLITE_OPTIONS,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/reports/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "SAMEORIGIN"

MAILERS = {
    "default": {
        "BACKEND": env_str(
            "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
        )
    }
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "osint-desk@localhost")
# The download fast path (osint/asgi.py, reports/fastpath.py): how long one
# session's right to one report's PDF is reused before it is checked again
# (a sign-out, a withdrawal or a correction reaches downloads within this
# many seconds; 0 checks every download), and the memory kept for PDF bytes.
OSINT_DOWNLOAD_GRANT_SECONDS = env_int("OSINT_DOWNLOAD_GRANT_SECONDS", 5, minimum=0)
OSINT_DOWNLOAD_CACHE_MB = env_int("OSINT_DOWNLOAD_CACHE_MB", 64, minimum=0)
# Absolute links in e-mails and Atom feeds point here.
OSINT_SITE_URL = env_str("OSINT_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Celery -----------------------------------------------------------------
# With no broker the desk runs embedded: tasks execute in-process, right after
# the transaction that enqueued them commits.
CELERY_BROKER_URL = env_url("CELERY_BROKER_URL", ("redis", "rediss", "memory", "amqp"))
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    # Eager tasks still make Celery build a producer; the in-memory transport
    # keeps it from reaching for a default AMQP server on localhost.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360, minimum=1)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "enqueue-due-feeds": {
        "task": "feeds.tasks.enqueue_due_feeds",
        "schedule": 60.0,
    },
    "draft-due-reports": {
        "task": "reports.tasks.draft_due_reports",
        "schedule": 3600.0,
    },
}

# --- Feeds ------------------------------------------------------------------
FEED_ALLOWED_HOSTS = env_list("FEED_ALLOWED_HOSTS")
FEED_USER_AGENT = "OSINT-Desk-FeedFetcher/1.0 (+https://example.invalid/osint-desk)"

# --- Drafting ---------------------------------------------------------------
OSINT_DRAFTER = env_choice("OSINT_DRAFTER", ("auto", "anthropic", "offline"), "auto")
OSINT_MODEL = env_str("OSINT_MODEL", "claude-sonnet-5-5")
ANTHROPIC_API_KEY = env_str("ANTHROPIC_API_KEY")
OSINT_MIN_ARTICLES = env_int("OSINT_MIN_ARTICLES", 3, minimum=1)
OSINT_PROMPT_TOKEN_BUDGET = env_int("OSINT_PROMPT_TOKEN_BUDGET", 60000, minimum=1000)
# Each source reaches the drafter as its lead paragraphs up to about this
# many tokens (140 is about 105 English words, a lead and its next
# paragraph): the who, what, when and where, not the whole article.
OSINT_SOURCE_MAX_TOKENS = env_int("OSINT_SOURCE_MAX_TOKENS", 140, minimum=80)
# Days before a period whose articles may be given as marked background.
OSINT_BACKGROUND_DAYS = env_int("OSINT_BACKGROUND_DAYS", 3, minimum=0)
# Claude calls: seconds to wait for an answer, and the answer's length cap.
OSINT_CLAUDE_TIMEOUT = env_int("OSINT_CLAUDE_TIMEOUT", 180, minimum=5)
OSINT_MAX_OUTPUT_TOKENS = env_int("OSINT_MAX_OUTPUT_TOKENS", 8000, minimum=500)
# Rate-limited or overloaded drafts are retried by the task: at most this
# many times, waiting base * 2**attempt seconds (capped) in between.
OSINT_DRAFT_RETRIES = env_int("OSINT_DRAFT_RETRIES", 4, minimum=0)
OSINT_DRAFT_RETRY_BASE_SECONDS = env_int(
    "OSINT_DRAFT_RETRY_BASE_SECONDS", 15, minimum=0
)
OSINT_DRAFT_RETRY_MAX_SECONDS = env_int("OSINT_DRAFT_RETRY_MAX_SECONDS", 300, minimum=0)

# US dollars per million tokens, by model name; "*" is the fallback. Override
# with OSINT_PRICES as a JSON object of the same shape.
OSINT_PRICES: dict[str, dict[str, float]] = {
    "*": {"input": 3.0, "output": 15.0, "cache_read": 0.30, "cache_write": 3.75},
}
if env_str("OSINT_PRICES"):
    try:
        OSINT_PRICES = json.loads(env_str("OSINT_PRICES"))
    except ValueError:
        raise ImproperlyConfigured("OSINT_PRICES is not valid JSON.") from None

# --- Workflow ---------------------------------------------------------------
OSINT_FOUR_EYES = env_bool("OSINT_FOUR_EYES", default=True)

# --- Maps -------------------------------------------------------------------
# No tile server is reachable by default; the editor map draws an offline
# layer of country borders. Deployments with tiles set OSINT_MAP_TILES.
OSINT_MAP_TILES = env_str("OSINT_MAP_TILES")
LEAFLET_CONFIG = {
    "TILES": [("Map", OSINT_MAP_TILES, {"attribution": ""})] if OSINT_MAP_TILES else [],
    "RESET_VIEW": False,
    "NO_GLOBALS": False,
}

# --- API --------------------------------------------------------------------
# Programs send `Authorization: Bearer <token>`; the browser uses its session.
# Bearer comes first so an anonymous call is answered 401 with a challenge.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "reports.api.schema.DeskAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "reports.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["reports.api.permissions.HasCapability"],
    "DEFAULT_PAGINATION_CLASS": "reports.api.pagination.DeskPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "reports.api.throttling.UserThrottle",
        "reports.api.throttling.AnonThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "reports.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Read on every request by reports.api.throttling; "N/second|minute|hour|day".
API_THROTTLE_RATES: dict[str, str | None] = {
    "user": env_str("API_THROTTLE_USER", "1200/minute") or None,
    "anon": env_str("API_THROTTLE_ANON", "60/minute") or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OSINT editorial desk API",
    "DESCRIPTION": (
        "Everything the desk does, for programs: topics, feeds and their "
        "health, articles and analysts' annotations, reports with their "
        "revisions, diffs, review comments, drafting jobs, workflow actions, "
        "publications and the audit log. Authenticate with a personal token "
        "(`Authorization: Bearer <secret>`, from POST /api/tokens/) or the "
        "browser session. Every error answers "
        '`{"error": {"code", "message", "details"}}` with a stable code.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReportStateEnum": "reports.models.Report.State",
        "FeedStateEnum": "feeds.models.Feed.State",
        "JobStateEnum": "reports.models.GenerationJob.State",
        "TlpEnum": "feeds.models.Tlp",
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Health and logging -----------------------------------------------------
REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES", default=False)
LOG_FORMAT = env_choice("LOG_FORMAT", ("console", "json"), "console")
LOG_LEVEL = env_choice(
    "LOG_LEVEL", ("debug", "info", "warning", "error"), "info"
).upper()
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL)
