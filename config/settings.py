"""The one settings module.

Everything is read from the environment. With nothing set, the product runs on
embedded defaults that need no service: SQLite and local files under `var/`, a
Celery broker on the file system, offline providers. Production sets
DATABASE_URL, CELERY_BROKER_URL, S3 and provider credentials.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from core.files import private_directory, write_private_file

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """Return the variable, or the contents of the file named by <NAME>_FILE."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
# Holds the database, keys and first-run credentials: its owner's alone (0700).
private_directory(VAR_DIR)

# Development settings of the checkout that `make run` prepared -------------------------
# `make run` writes the variables it chose (DEBUG, ALLOWED_HOSTS, PUBLIC_BASE_URL) to
# var/run.env, so `python manage.py ...` in the same checkout runs with them, as the
# README's commands expect. The environment always wins over the file.
RUN_ENV_FILE = VAR_DIR / "run.env"


def _load_run_env(path: Path) -> None:
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        os.environ.setdefault(name.strip(), value.strip())


_load_run_env(RUN_ENV_FILE)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) in production, "
            "or DEBUG=true for development, where a key is generated into var/secret_key."
        )
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        write_private_file(key_file, secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute base of the URLs the API returns (`url`, `thumbnail`); empty means
# "the host of the request".
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL").rstrip("/")


def _public_base_url_fallback() -> str:
    """The base of URLs built outside a request (webhook bodies) when PUBLIC_BASE_URL is unset.

    With DEBUG: http://localhost:$PORT. Otherwise https:// and the first host name of
    ALLOWED_HOSTS; with none usable, starting is an error, never a relative URL on the wire.
    """
    if PUBLIC_BASE_URL:
        return PUBLIC_BASE_URL
    if DEBUG:
        return f"http://localhost:{env_int('PORT', 8000)}"
    for host in ALLOWED_HOSTS:
        if host and host != "*" and not host.startswith("."):
            return f"https://{host}"
    raise ImproperlyConfigured(
        "PUBLIC_BASE_URL is not set (e.g. https://media.example.com) and ALLOWED_HOSTS names "
        "no host to derive it from; webhook bodies need absolute file URLs."
    )


PUBLIC_BASE_URL_FALLBACK = _public_base_url_fallback()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_celery_results",
    "django_celery_beat",
    "django_htmx",
    "core",
    "medialib",
    "extensions",
    "webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database that is away answers 503 JSON, not an HTML 500 (reliability).
    "core.middleware.DatabaseUnavailableMiddleware",
    "core.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "medialib.middleware.RequestIdMiddleware",
    # Last, as django-axes requires: answers a locked-out sign-in with a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
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
            ],
        },
    },
]

# Database -------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE takes
    # the write lock at BEGIN so concurrent writers wait instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # Tests with a real worker use the database from several threads: a file (WAL, busy
    # timeout) waits for a writer, where the shared in-memory one fails "table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side binding lets psycopg prepare what a connection runs again (from its
    # fifth time): PostgreSQL then skips parsing it, and planning it once it judges its
    # generic plan as good, a third of its CPU per upload or run (`make bench`'s search
    # and admin figures, the skewed queries, did not move). A pooler in transaction mode
    # (PgBouncer) cannot keep prepared statements: DATABASE_PREPARED_STATEMENTS=false.
    _prepared = env_bool("DATABASE_PREPARED_STATEMENTS", True)
    # Added to the options the URL carries (?sslmode=require...), not in their place.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=_prepared, prepare_threshold=5 if _prepared else None
    )
if env_str("TEST_DATABASE_NAME"):
    # Lets several test runs share one PostgreSQL server without colliding.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
# Lockout after repeated failed sign-ins (/accounts/login/, /admin/login/; django-axes):
# AXES_FAILURE_LIMIT failures of one user name from one address lock that pair out for
# AXES_COOLOFF_MINUTES; a successful sign-in resets the count. Behind a proxy, set
# AXES_IPWARE_PROXY_COUNT so the client's address is read from X-Forwarded-For.
AUTHENTICATION_BACKENDS = [
    "config.auth.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_float("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", 0) or None
LOGIN_REDIRECT_URL = "library"
LOGOUT_REDIRECT_URL = "login"

# TLS hardening is on by default with DEBUG off (README "Security model"). Behind a
# proxy that terminates TLS, set TRUST_X_FORWARDED_PROTO=true (the proxy must set
# X-Forwarded-Proto and strip it from clients); where TLS is handled elsewhere
# entirely, opt out with SECURE_SSL_REDIRECT=false / SECURE_HSTS_SECONDS=0 /
# SECURE_COOKIES=false.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO") else None
)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# /healthz answers probes over plain HTTP from inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Static and media files -------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise warns about a missing root before the first collectstatic.
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
WHITENOISE_USE_FINDERS = True

MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        # S3Storage storing each object with its sniffed type (README "Security model").
        "BACKEND": "medialib.s3.MediaS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_S3_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT, "base_url": MEDIA_URL},
    }
# Pages: scripts from this origin only (no inline script), never framed. Images and
# previews may come from the bucket that serving redirects to (CSP_MEDIA_SOURCES,
# default the S3 endpoint's origin or https://*.amazonaws.com when S3 is used).
if AWS_STORAGE_BUCKET_NAME:
    _s3_endpoint = urlsplit(env_str("AWS_S3_ENDPOINT_URL") or "https://*.amazonaws.com")
    _media_sources = f"{_s3_endpoint.scheme}://{_s3_endpoint.netloc}"
else:
    _media_sources = ""
CSP_MEDIA_SOURCES = env_str("CSP_MEDIA_SOURCES", _media_sources)
CONTENT_SECURITY_POLICY = (
    env_str(
        "CONTENT_SECURITY_POLICY",
        "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob: {CSP_MEDIA_SOURCES}; "
        f"media-src 'self' blob: {CSP_MEDIA_SOURCES}",
    )
    .replace(" ;", ";")
    .strip()
)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: the request body is spooled to disk above this size, never held whole.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MEDIALIB_MAX_UPLOAD_BYTES = env_int("MEDIALIB_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
MEDIALIB_MAX_IMAGE_PIXELS = env_int("MEDIALIB_MAX_IMAGE_PIXELS", 100_000_000)
# Decodes of more than MEDIALIB_LARGE_DECODE_PIXELS (after a JPEG's reduced-scale
# draft) share MEDIALIB_LARGE_DECODE_CONCURRENCY slots per process; a caller waits up
# to MEDIALIB_LARGE_DECODE_WAIT seconds for one, then gets a 503.
# Embedded metadata (EXIF, text chunks) kept per file: at most this many entries and
# bytes of JSON. GPS entries are left out of public files' details unless turned off.
MEDIALIB_METADATA_MAX_KEYS = env_int("MEDIALIB_METADATA_MAX_KEYS", 256)
MEDIALIB_METADATA_MAX_BYTES = env_int("MEDIALIB_METADATA_MAX_BYTES", 32 * 1024)
MEDIALIB_STRIP_GPS_FROM_PUBLIC_FILES = env_bool("MEDIALIB_STRIP_GPS_FROM_PUBLIC_FILES", True)
MEDIALIB_LARGE_DECODE_PIXELS = env_int("MEDIALIB_LARGE_DECODE_PIXELS", 16_000_000)
MEDIALIB_LARGE_DECODE_CONCURRENCY = env_int("MEDIALIB_LARGE_DECODE_CONCURRENCY", 2)
MEDIALIB_LARGE_DECODE_WAIT = env_float("MEDIALIB_LARGE_DECODE_WAIT", 30.0)
# Animated images with more frames, or images carrying more metadata (JPEG APPn/COM
# segments, PNG text), are refused: built to exhaust, not to be looked at.
MEDIALIB_MAX_IMAGE_FRAMES = env_int("MEDIALIB_MAX_IMAGE_FRAMES", 1000)
MEDIALIB_MAX_IMAGE_METADATA_BYTES = env_int("MEDIALIB_MAX_IMAGE_METADATA_BYTES", 1024 * 1024)
MEDIALIB_URL_FETCH_TIMEOUT = env_float("MEDIALIB_URL_FETCH_TIMEOUT", 8.0)
# Upload by URL: the whole fetch must end within the deadline and, after the
# grace period, average at least the minimum rate (bytes per second); 0 turns it off.
MEDIALIB_URL_FETCH_DEADLINE = env_float("MEDIALIB_URL_FETCH_DEADLINE", 60.0)
MEDIALIB_URL_FETCH_MIN_RATE = env_float("MEDIALIB_URL_FETCH_MIN_RATE", 4096.0)
MEDIALIB_URL_FETCH_RATE_GRACE = env_float("MEDIALIB_URL_FETCH_RATE_GRACE", 10.0)
MEDIALIB_SIGNED_URL_TTL = env_int("MEDIALIB_SIGNED_URL_TTL", 3600)
# Derives API private keys from their stored salt (client-side upload signatures
# need the private key). Changing it invalidates every API key's signatures.
MEDIALIB_API_KEY_SECRET = env_str("MEDIALIB_API_KEY_SECRET") or SECRET_KEY

# Security (README "Security model") ----------------------------------------------
# What a client-side upload (an untrusted browser holding one upload signature) may
# ask for beyond a new, uniquely named file; each is off unless allowed here.
MEDIALIB_CLIENT_UPLOAD_ALLOW_FIXED_NAMES = env_bool("MEDIALIB_CLIENT_UPLOAD_ALLOW_FIXED_NAMES")
MEDIALIB_CLIENT_UPLOAD_ALLOW_PUBLISH_FLAG = env_bool("MEDIALIB_CLIENT_UPLOAD_ALLOW_PUBLISH_FLAG")
MEDIALIB_CLIENT_UPLOAD_ALLOW_EXTENSIONS = env_bool("MEDIALIB_CLIENT_UPLOAD_ALLOW_EXTENSIONS")
MEDIALIB_CLIENT_UPLOAD_ALLOW_URL_SOURCE = env_bool("MEDIALIB_CLIENT_UPLOAD_ALLOW_URL_SOURCE")
# Client-side uploads land in this folder or below it ("" or "/": anywhere).
MEDIALIB_CLIENT_UPLOAD_FOLDER_PREFIX = env_str("MEDIALIB_CLIENT_UPLOAD_FOLDER_PREFIX")


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit as "REQUESTS/SECONDS", e.g. "6000/60"; 0 requests turns it off."""
    value = env_str(name, default)
    try:
        requests, seconds = (int(part) for part in value.split("/"))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not REQUESTS/SECONDS") from None
    if requests < 0 or seconds <= 0:
        raise ImproperlyConfigured(f"{name}={value!r}: use a count >= 0 per seconds > 0")
    return requests, seconds


# API rate limits, per caller (API key or signed-in user) and per client address;
# uploads are counted apart with their own limits. Generous defaults: a busy
# integration should not meet them, a runaway script does.
MEDIALIB_RATE_LIMIT_PER_CALLER = env_rate("MEDIALIB_RATE_LIMIT_PER_CALLER", "30000/60")
MEDIALIB_RATE_LIMIT_PER_ADDRESS = env_rate("MEDIALIB_RATE_LIMIT_PER_ADDRESS", "30000/60")
MEDIALIB_RATE_LIMIT_UPLOAD_PER_CALLER = env_rate(
    "MEDIALIB_RATE_LIMIT_UPLOAD_PER_CALLER", "30000/60"
)
MEDIALIB_RATE_LIMIT_UPLOAD_PER_ADDRESS = env_rate(
    "MEDIALIB_RATE_LIMIT_UPLOAD_PER_ADDRESS", "30000/60"
)
# Counters live in this cache; set CACHE_URL (redis://...) so that every web
# process shares them (the default cache is per process).
if env_str("CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("CACHE_URL"),
        }
    }

# Celery -------------------------------------------------------------------------

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = Path(env_str("CELERY_FILESYSTEM_DIR", str(VAR_DIR / "broker")))
    # kombu's filesystem transport raises FileNotFoundError if these are missing.
    for _sub in ("queue", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.1,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    if CELERY_BROKER_URL.startswith("redis://"):
        # kombu's, with one client where it builds one per acknowledgement step.
        CELERY_BROKER_TRANSPORT = "config.broker:RedisTransport"
    if env_str("CELERY_REDIS_KEYPREFIX"):
        # Several deployments (or test stacks) on one Redis database, each with its own keys.
        CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": env_str("CELERY_REDIS_KEYPREFIX")}
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = 7 * 24 * 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Tasks carry only ids and are safe to run twice, so a task is acknowledged
# after it ran and put back if its worker dies mid-way.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connections around every task unless
# this is set; it then closes them every this many tasks, and config.celery applies
# CONN_MAX_AGE and the health checks at each task, as Django does between requests.
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing must not hang a request when the broker is down: the sweeps
# dispatch whatever could not be sent.
CELERY_BROKER_CONNECTION_TIMEOUT = env_float("CELERY_BROKER_CONNECTION_TIMEOUT", 2.0)
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE: dict = {
    # Used client-side upload tokens are kept until their expiry has passed.
    "medialib-purge-upload-tokens": {
        "task": "medialib.tasks.purge_upload_tokens",
        "schedule": 3600.0,
    },
}
# Stored objects that no version references (bytes whose transaction rolled back)
# are removed by a periodic sweep once older than the grace, which must be longer
# than any upload, copy or provider call (medialib.services.storage_sweep).
MEDIALIB_STORAGE_SWEEP_GRACE = env_float("MEDIALIB_STORAGE_SWEEP_GRACE", 3600.0)
CELERY_BEAT_SCHEDULE["medialib-sweep-storage"] = {
    "task": "medialib.tasks.sweep_storage",
    "schedule": env_float("MEDIALIB_STORAGE_SWEEP_INTERVAL", 3600.0),
}
# Queues: providers-io for network-bound provider calls, providers-cpu for
# offline models, webhooks for deliveries, default for everything else.
CELERY_TASK_ROUTES: dict = {}
CELERY_QUEUES_ALL = ["default", "providers-io", "providers-cpu", "webhooks"]

# REST API -----------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "medialib.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # Key scopes and user roles (README "Security model").
        "medialib.api.permissions.LibraryAccess",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
    # Rate limits with ImageKit's headers (MEDIALIB_RATE_LIMIT_* below).
    "DEFAULT_THROTTLE_CLASSES": ["medialib.api.throttling.ApiRateThrottle"],
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
}

SPECTACULAR_SETTINGS = {
    # Swagger UI from this site's static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "Media library API",
    "DESCRIPTION": "A self-hosted media library with AI extensions, wire-compatible "
    "with ImageKit's media and extensions API.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Folder jobs: files per step (one transaction each); the sweep sends again pending
# jobs with no step for FOLDER_JOBS_SWEEP_AFTER seconds, at most FOLDER_JOBS_SWEEP_BATCH.
FOLDER_JOBS_BATCH = env_int("FOLDER_JOBS_BATCH", 100)
FOLDER_JOBS_SWEEP_AFTER = env_float("FOLDER_JOBS_SWEEP_AFTER", 300.0)
FOLDER_JOBS_SWEEP_BATCH = env_int("FOLDER_JOBS_SWEEP_BATCH", 100)
CELERY_BEAT_SCHEDULE["medialib-sweep-folder-jobs"] = {
    "task": "medialib.tasks.sweep_folder_jobs",
    "schedule": env_float("FOLDER_JOBS_SWEEP_INTERVAL", 60.0),
}

# Extensions ---------------------------------------------------------------------

EXTENSIONS_SYNC_BUDGET = env_float("EXTENSIONS_SYNC_BUDGET", 3.0)
EXTENSION_UNITS = {
    "aws-auto-tagging": env_int("EXTENSION_UNITS_AWS_AUTO_TAGGING", 1),
    "google-auto-tagging": env_int("EXTENSION_UNITS_GOOGLE_AUTO_TAGGING", 2),
    "remove-bg": env_int("EXTENSION_UNITS_REMOVE_BG", 130),
    "local-auto-tagging": env_int("EXTENSION_UNITS_LOCAL_AUTO_TAGGING", 1),
    "local-remove-bg": env_int("EXTENSION_UNITS_LOCAL_REMOVE_BG", 130),
}
EXTENSIONS_INITIAL_UNITS = env_int("EXTENSIONS_INITIAL_UNITS", 10_000)
# Serve the public names with the offline providers where a provider has no
# credentials configured.
EXTENSIONS_OFFLINE_FALLBACK = env_bool("EXTENSIONS_OFFLINE_FALLBACK", True)
OFFLINE_MODELS_DIR = Path(env_str("OFFLINE_MODELS_DIR", str(VAR_DIR / "models")))

GOOGLE_VISION_API_ENDPOINT = env_str("GOOGLE_VISION_API_ENDPOINT")
GOOGLE_VISION_API_KEY = env_str("GOOGLE_VISION_API_KEY")
GOOGLE_APPLICATION_CREDENTIALS = env_str("GOOGLE_APPLICATION_CREDENTIALS")
AWS_REKOGNITION_ENDPOINT_URL = env_str("AWS_REKOGNITION_ENDPOINT_URL")
AWS_REKOGNITION_REGION = env_str("AWS_REKOGNITION_REGION", env_str("AWS_DEFAULT_REGION", ""))
REMOVE_BG_API_KEY = env_str("REMOVE_BG_API_KEY")
REMOVE_BG_API_URL = env_str("REMOVE_BG_API_URL", "https://api.remove.bg/v1.0/removebg")
PROVIDER_TIMEOUT = env_float("PROVIDER_TIMEOUT", 30.0)
# Explicit Rekognition keys; empty means boto3's usual environment variables and files.
AWS_REKOGNITION_ACCESS_KEY_ID = env_str("AWS_REKOGNITION_ACCESS_KEY_ID")
AWS_REKOGNITION_SECRET_ACCESS_KEY = env_str("AWS_REKOGNITION_SECRET_ACCESS_KEY")
# Runs: attempts (the sync one included), backoff between them (doubling, ±20% jitter,
# never less than a provider's Retry-After), and how long one attempt holds its run; the
# lease is short and renewed by a heartbeat every EXTENSIONS_HEARTBEAT_SECONDS while the
# provider call runs: a dead worker's runs are swept within lease + sweep interval, and
# a slow live call is never taken over.
EXTENSIONS_MAX_ATTEMPTS = env_int("EXTENSIONS_MAX_ATTEMPTS", 5)
EXTENSIONS_RETRY_BASE_DELAY = env_float("EXTENSIONS_RETRY_BASE_DELAY", 10.0)
EXTENSIONS_RETRY_MAX_DELAY = env_float("EXTENSIONS_RETRY_MAX_DELAY", 600.0)
EXTENSIONS_LEASE_SECONDS = env_int("EXTENSIONS_LEASE_SECONDS", 30)
EXTENSIONS_HEARTBEAT_SECONDS = env_float(
    "EXTENSIONS_HEARTBEAT_SECONDS", max(0.2, EXTENSIONS_LEASE_SECONDS / 3)
)
# The sweep sends again pending runs whose next attempt is this overdue (broker down,
# worker lost), at most EXTENSIONS_SWEEP_BATCH per sweep.
EXTENSIONS_SWEEP_AFTER = env_float("EXTENSIONS_SWEEP_AFTER", 60.0)
EXTENSIONS_SWEEP_BATCH = env_int("EXTENSIONS_SWEEP_BATCH", 500)
CELERY_BEAT_SCHEDULE["extensions-sweep-pending-runs"] = {
    "task": "extensions.tasks.sweep_pending_runs",
    "schedule": env_float("EXTENSIONS_SWEEP_INTERVAL", 30.0),
}

# Webhooks -----------------------------------------------------------------------

# Webhook receivers and upload URLs on private, loopback or link-local addresses are
# refused unless this is set explicitly (DEBUG does not imply it; `make run` sets it).
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
WEBHOOKS_TIMEOUT = env_float("WEBHOOKS_TIMEOUT", 30.0)
# After a rotation the previous secret signs deliveries too (a second signature in
# `webhook-signature`) for this many seconds, while receivers switch to the new one.
WEBHOOKS_SECRET_ROTATION_GRACE = env_int("WEBHOOKS_SECRET_ROTATION_GRACE", 24 * 3600)
# CA certificates that https receivers are verified against; empty means certifi's.
WEBHOOKS_CA_BUNDLE = env_str("WEBHOOKS_CA_BUNDLE")
# One task per delivery on its own queue; its workers should use a thread or
# gevent pool with a high concurrency, since they wait on receivers.
CELERY_TASK_ROUTES["webhooks.tasks.deliver_webhook"] = {"queue": "webhooks"}
# At most this many of a worker process's threads wait on one receiver (host:port) at a
# time; its further deliveries are sent again a few seconds later, not attempted.
WEBHOOKS_MAX_IN_FLIGHT_PER_RECEIVER = env_int("WEBHOOKS_MAX_IN_FLIGHT_PER_RECEIVER", 8)
# Sends the deliveries that are due and have no task on its way (retries, and
# any whose task could not be sent).
CELERY_BEAT_SCHEDULE["webhooks-sweep-due-deliveries"] = {
    "task": "webhooks.tasks.sweep_due_deliveries",
    "schedule": env_float("WEBHOOKS_SWEEP_INTERVAL", 10.0),
}

# Logging ------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # django-axes announces its version at every start-up, manage.py commands included.
        "axes.apps": {"level": "WARNING"},
    },
}

# --- Delivery: URL transformations and renditions (issue 17) ---
# Largest rendition a transformation may ask for, in pixels (the input cap is
# MEDIALIB_MAX_IMAGE_PIXELS).
MEDIALIB_MAX_RENDITION_PIXELS = env_int("MEDIALIB_MAX_RENDITION_PIXELS", 25_000_000)
# Cache-Control max-age of renditions of public files (signed ones are private).
MEDIALIB_RENDITION_MAX_AGE = env_int("MEDIALIB_RENDITION_MAX_AGE", 7 * 24 * 3600)
# Seconds between sweeps removing the renditions of versions no longer current.
MEDIALIB_RENDITION_SWEEP_INTERVAL = env_int("MEDIALIB_RENDITION_SWEEP_INTERVAL", 3600)
CELERY_BEAT_SCHEDULE["medialib-sweep-renditions"] = {
    "task": "medialib.tasks.renditions_sweep",
    "schedule": MEDIALIB_RENDITION_SWEEP_INTERVAL,
}
