"""Journeyboard settings, read from the environment.

With no environment at all Journeyboard runs embedded: a SQLite file, the in-memory channel
layer and a Celery worker on a filesystem broker under ``var/``. ``DATABASE_URL`` switches to
PostgreSQL (psycopg 3) and ``REDIS_URL`` to the Redis channel layer and a Redis Celery broker.
"""

import secrets
from pathlib import Path

import environ

from config.security import STRICT_POLICY

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# Runtime state of the embedded mode (SQLite file, generated secret key, Celery queue, uploads).
VAR_DIR = Path(env.str("JOURNEYBOARD_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from the environment, or one generated once for this checkout (never in git)."""
    key = env.str("DJANGO_SECRET_KEY", default="")
    if key:
        return key
    key_file = VAR_DIR / "secret-key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "accounts",
    "personas",
    "journeys",
    "touchpoints",
    "feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, not second as WhiteNoise suggests: it runs only synchronously, and in the middle of
    # the chain it made Django hand each request between the event loop and a thread 16 times
    # (6 now), each waiting for a turn of the loop that also delivers every live event
    # (bench/edit_cost.py). Static files pass the lazy session and user middleware first.
    "whitenoise.middleware.WhiteNoiseMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

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
                "journeys.context_processors.role",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'journeyboard.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI every WebSocket frame may touch the database: a pool spares each one a new
    # connection (Django's persistent connections are not meant for ASGI).
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": 10,
        }
else:
    # SQLite: wait for a writer rather than failing at once; take the write lock at BEGIN so
    # that two concurrent services serialise instead of deadlocking on lock upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
# Tests run real server processes beside the test runner, so even SQLite's test database is a
# file they can all open (an in-memory one would be private to the runner).
_test_db_default = (
    None if "postgresql" in DATABASES["default"]["ENGINE"] else str(VAR_DIR / "test.sqlite3")
)
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=_test_db_default)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels and Celery --------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_PREFIX = env.str("JOURNEYBOARD_REDIS_PREFIX", default="journeyboard")
# How often a live map's socket confirms its presence (and re-checks its user's access
# meanwhile); someone unconfirmed for three times this is taken off the map.
JOURNEYBOARD_PRESENCE_REFRESH_SECONDS = env.float("JOURNEYBOARD_PRESENCE_REFRESH_SECONDS", 10.0)

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": env.str(
                "JOURNEYBOARD_CHANNEL_LAYER", default="channels_redis.core.RedisChannelLayer"
            ),
            "CONFIG": {
                # The layer waits for messages with a 5-s blocking poll (channels_redis's
                # BZPOPMIN, `brpop_timeout`); redis-py 8 cuts every read at 5 s by default, so a
                # quiet socket's consumer died of TimeoutError after ~6 s. The read timeout must
                # outlast the poll: set here rather than by pinning redis-py below 8, because the
                # clash is between two settings, not a bug of one version (celery[redis] already
                # bounds redis-py), and a finite timeout still notices a Redis that went silent.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "capacity": 1000,
                "expiry": 30,
                # Connections re-join their map's group every few seconds (realtime.presence), so
                # the sockets of a server that died leave the group within a minute, not a day.
                "group_expiry": 60,
                # Separate deployments (or test runs) sharing one Redis keep their own groups.
                "prefix": REDIS_PREFIX,
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    # A filesystem broker lets `make run` start a real background worker with no services.
    _celery_dir = VAR_DIR / "celery"
    for _sub in ("queue", "processed", "results", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        # Broadcast (remote-control) mailboxes; kombu's default is ./control in the working dir.
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{_celery_dir / 'results'}"

# Deployments (and test runs) sharing one Redis keep their jobs apart, like their groups.
CELERY_TASK_DEFAULT_QUEUE = REDIS_PREFIX
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Long jobs must finish (or be killed) before Redis redelivers them to another worker.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **globals().get("CELERY_BROKER_TRANSPORT_OPTIONS", {}),
    "visibility_timeout": env.int("JOURNEYBOARD_CELERY_VISIBILITY_TIMEOUT", default=3600),
}
CELERY_TASK_TIME_LIMIT = 3000
CELERY_TASK_SOFT_TIME_LIMIT = 2900
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Survey platforms with a schedule, and imports whose worker died, every minute.
    "survey-sources-sync-due": {"task": "feedback.tasks.sources_sync_due", "schedule": 60.0},
    "import-runs-resume-stalled": {"task": "feedback.tasks.import_runs_resume", "schedule": 60.0},
    # Survey files past JOURNEYBOARD_UPLOAD_RETENTION_DAYS, and any no run names, hourly.
    "survey-uploads-expire": {"task": "feedback.tasks.uploads_expire", "schedule": 3600.0},
}
# An import run whose worker has not renewed its lease for this long is taken over.
JOURNEYBOARD_IMPORT_LEASE_SECONDS = env.int("JOURNEYBOARD_IMPORT_LEASE_SECONDS", default=60)
# Rows written (and committed, with the run's resume point) per transaction.
JOURNEYBOARD_IMPORT_CHUNK_ROWS = env.int("JOURNEYBOARD_IMPORT_CHUNK_ROWS", default=5000)
# The same for a CSV on PostgreSQL (set-based SQL, about 1 s for 50,000 rows here): each slice's
# commit puts the run's progress on the map, and costs a commit and a plan.
JOURNEYBOARD_IMPORT_SLICE_ROWS = env.int("JOURNEYBOARD_IMPORT_SLICE_ROWS", default=50_000)

# Survey platform connectors. They reach public addresses only: loopback, private, link-local
# and reserved ones are refused unless listed here (CIDRs or host names, comma-separated), and
# plain http goes only to what is listed. Each request has a deadline over its whole answer,
# and an answer over the cap is refused before it is read whole.
JOURNEYBOARD_OUTBOUND_ALLOW = env.list("JOURNEYBOARD_OUTBOUND_ALLOW", default=[])
JOURNEYBOARD_CONNECTOR_DEADLINE_SECONDS = env.float(
    "JOURNEYBOARD_CONNECTOR_DEADLINE_SECONDS", default=300.0
)
# A JSON answer is parsed in memory; an export file (Qualtrics) streams to disk.
JOURNEYBOARD_CONNECTOR_MAX_BYTES = env.int("JOURNEYBOARD_CONNECTOR_MAX_MB", default=32) * 2**20
JOURNEYBOARD_CONNECTOR_MAX_DOWNLOAD_BYTES = (
    env.int("JOURNEYBOARD_CONNECTOR_MAX_DOWNLOAD_MB", default=1024) * 2**20
)
# Vendors' hosts are fixed; this replaces them (kind=URL, comma-separated) for tests only.
# A connection test (someone waits for it): one try, its whole answer within this.
JOURNEYBOARD_CONNECTOR_TEST_SECONDS = env.float("JOURNEYBOARD_CONNECTOR_TEST_SECONDS", default=15.0)
JOURNEYBOARD_CONNECTOR_BASE_URLS = env.dict("JOURNEYBOARD_CONNECTOR_BASE_URLS", default={})

# Dashboards: a moment that matters is below target under this NPS; a touchpoint counts as
# evidenced with at least this many responses in the window (health score).
JOURNEYBOARD_MOMENT_NPS_TARGET = env.float("JOURNEYBOARD_MOMENT_NPS_TARGET", default=0)
JOURNEYBOARD_EVIDENCE_MIN_RESPONSES = env.int("JOURNEYBOARD_EVIDENCE_MIN_RESPONSES", default=10)

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: a changed password revokes the user's API tokens (accounts.passwords).
    {"NAME": "accounts.passwords.ApiTokensEndWithThePassword"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
# The sign-in limiter (accounts.signin): failed sign-ins per account, and per client address
# (any accounts), before further tries are refused for the lockout's minutes.
JOURNEYBOARD_SIGNIN_ACCOUNT_FAILURES = env.int("JOURNEYBOARD_SIGNIN_ACCOUNT_FAILURES", default=10)
JOURNEYBOARD_SIGNIN_CLIENT_FAILURES = env.int("JOURNEYBOARD_SIGNIN_CLIENT_FAILURES", default=50)
JOURNEYBOARD_SIGNIN_LOCKOUT_MINUTES = env.int("JOURNEYBOARD_SIGNIN_LOCKOUT_MINUTES", default=15)
# Token sign-ins per client address, good or bad (accounts.api.SignInThrottle).
JOURNEYBOARD_SIGNIN_RATE = env.str("JOURNEYBOARD_SIGNIN_RATE", default="30/min")
# API tokens stop working this many days after they were made (0: never).
JOURNEYBOARD_TOKEN_TTL_DAYS = env.int("JOURNEYBOARD_TOKEN_TTL_DAYS", default=90)

# --- Cache ----------------------------------------------------------------------------------
# The sign-in limiter's counts and the API's throttles. With Redis every server process shares
# them; embedded there is one web process, and its memory is enough.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- I18N, static and media -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns per request when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Self-hosted installs without a separate web server let Django serve persona photos (to
# those who may read the persona library; nothing else under MEDIA_ROOT is served).
SERVE_MEDIA = env.bool("JOURNEYBOARD_SERVE_MEDIA", default=True)
# Survey files wait for their import here: outside MEDIA_ROOT, so that nothing serves them.
JOURNEYBOARD_UPLOAD_DIR = Path(env.str("JOURNEYBOARD_UPLOAD_DIR", default=str(VAR_DIR / "uploads")))
# Days a successfully imported survey file is kept after its run ends; 0 deletes it as soon as
# the run finishes (what was imported lives on as responses). A refused, failed or cancelled
# run's file is deleted at once either way.
JOURNEYBOARD_UPLOAD_RETENTION_DAYS = env.int("JOURNEYBOARD_UPLOAD_RETENTION_DAYS", default=0)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Survey files stream to disk and import in bounded memory; this caps what one upload may be.
JOURNEYBOARD_IMPORT_MAX_BYTES = env.int("JOURNEYBOARD_IMPORT_MAX_MB", default=200) * 1024 * 1024
# Every request body but a file upload (JSON, forms): answered 413 above this, unread.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# A multipart body (a file upload): the largest file, plus room for the form around it.
JOURNEYBOARD_UPLOAD_MAX_BYTES = JOURNEYBOARD_IMPORT_MAX_BYTES + 1024 * 1024
# Bounds on what an uploaded file may hold, checked before it is parsed (config/file_limits.py):
# a small file can hold a header of a million cells, or unpack (XLSX) to gigabytes.
JOURNEYBOARD_IMPORT_MAX_COLUMNS = env.int("JOURNEYBOARD_IMPORT_MAX_COLUMNS", default=1000)
JOURNEYBOARD_IMPORT_MAX_ROW_BYTES = env.int("JOURNEYBOARD_IMPORT_MAX_ROW_KB", default=1024) * 1024
JOURNEYBOARD_XLSX_MAX_UNPACKED_BYTES = (
    env.int("JOURNEYBOARD_XLSX_MAX_UNPACKED_MB", default=2048) * 1024 * 1024
)
JOURNEYBOARD_XLSX_MAX_RATIO = env.int("JOURNEYBOARD_XLSX_MAX_RATIO", default=100)
JOURNEYBOARD_XLSX_MAX_SHARED_STRINGS = env.int(
    "JOURNEYBOARD_XLSX_MAX_SHARED_STRINGS", default=2_000_000
)
# An import runs in a child process of the worker, stopped at these (0: no memory limit). The
# time limit stays below the broker's visibility timeout, so a stopped run is not redelivered.
JOURNEYBOARD_IMPORT_MEMORY_MB = env.int("JOURNEYBOARD_IMPORT_MEMORY_MB", default=1024)
JOURNEYBOARD_IMPORT_TIME_LIMIT_SECONDS = env.int(
    "JOURNEYBOARD_IMPORT_TIME_LIMIT_SECONDS", default=2700
)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the editor's JavaScript reads it to send X-CSRFToken
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# config.security's strict policy, or a deployment's own (say, one that allows a font host).
CONTENT_SECURITY_POLICY = env.str("JOURNEYBOARD_CONTENT_SECURITY_POLICY", default=STRICT_POLICY)
if env.bool("DJANGO_SECURE", default=False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Browsers that once reached the site over HTTPS never try plain HTTP again (a year).
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600)
    # Off by default: a Journeyboard at example.com must not force every sibling site to HTTPS.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous API call then answers 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's, with tokens' expiry (JOURNEYBOARD_TOKEN_TTL_DAYS).
        "config.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["journeys.permissions.IsSignedIn"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    # DRF's own parsers read any body whole: these refuse one over its limit first.
    "DEFAULT_PARSER_CLASSES": [
        "config.body_limits.JSONParser",
        "config.body_limits.FormParser",
        "config.body_limits.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "config.schema.JourneyboardAutoSchema",
    # Proxies in front whose X-Forwarded-For is trusted for the client's address (throttles and
    # the sign-in limiter); 0 reads the connection's own address, which a client cannot forge.
    "NUM_PROXIES": env.int("JOURNEYBOARD_PROXIES", default=0),
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# The OpenAPI schema and the interactive docs describe every route: signed-in users only, unless
# a deployment publishes them (config.urls).
JOURNEYBOARD_API_DOCS_PUBLIC = env.bool("JOURNEYBOARD_API_DOCS_PUBLIC", default=False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Journeyboard API",
    "DESCRIPTION": "Customer journey maps: personas, phases, lanes, cards, touchpoints, "
    "emotions and opportunities.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "personas.models.Channel",
        # Several models have a status or a state: each its own name.
        "JourneyStatusEnum": "journeys.models.Journey.Status",
        "JourneyStateEnum": "journeys.models.Journey.State",
        "OpportunityStatusEnum": "journeys.models.Opportunity.Status",
        "ImportRunStateEnum": "feedback.models.ImportRun.State",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Demo accounts created by `manage.py seed_demo`; override the passwords in production-like demos.
DEMO_PASSWORD = env.str("JOURNEYBOARD_DEMO_PASSWORD", default="journeyboard-demo")
