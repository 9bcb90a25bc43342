"""The one settings module.

Everything is read from the environment. With nothing set, the product runs on
embedded defaults that need no service: SQLite and local files under `var/`, a
Celery broker on the file system, offline providers. Production sets
DATABASE_URL, CELERY_BROKER_URL, S3 and provider credentials.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

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
VAR_DIR.mkdir(parents=True, exist_ok=True)

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
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute base of the URLs the API returns (`url`, `thumbnail`); empty means
# "the host of the request".
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL").rstrip("/")

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
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "medialib.middleware.RequestIdMiddleware",
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
LOGIN_REDIRECT_URL = "library"
LOGOUT_REDIRECT_URL = "login"

# Security headers that only make sense behind TLS are opt-in.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO") else None
)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
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
        "BACKEND": "storages.backends.s3.S3Storage",
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
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads: the request body is spooled to disk above this size, never held whole.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MEDIALIB_MAX_UPLOAD_BYTES = env_int("MEDIALIB_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
MEDIALIB_MAX_IMAGE_PIXELS = env_int("MEDIALIB_MAX_IMAGE_PIXELS", 100_000_000)
MEDIALIB_URL_FETCH_TIMEOUT = env_float("MEDIALIB_URL_FETCH_TIMEOUT", 8.0)
MEDIALIB_SIGNED_URL_TTL = env_int("MEDIALIB_SIGNED_URL_TTL", 3600)
# Derives API private keys from their stored salt (client-side upload signatures
# need the private key). Changing it invalidates every API key's signatures.
MEDIALIB_API_KEY_SECRET = env_str("MEDIALIB_API_KEY_SECRET") or SECRET_KEY

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
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Media library API",
    "DESCRIPTION": "A self-hosted media library with AI extensions, wire-compatible "
    "with ImageKit's media and extensions API.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
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
# lease must outlast PROVIDER_TIMEOUT, or a slow call would be taken over by the sweep.
EXTENSIONS_MAX_ATTEMPTS = env_int("EXTENSIONS_MAX_ATTEMPTS", 5)
EXTENSIONS_RETRY_BASE_DELAY = env_float("EXTENSIONS_RETRY_BASE_DELAY", 10.0)
EXTENSIONS_RETRY_MAX_DELAY = env_float("EXTENSIONS_RETRY_MAX_DELAY", 600.0)
EXTENSIONS_LEASE_SECONDS = env_int("EXTENSIONS_LEASE_SECONDS", int(PROVIDER_TIMEOUT) + 270)
# The sweep sends again pending runs whose next attempt is this overdue (broker down,
# worker lost), at most EXTENSIONS_SWEEP_BATCH per sweep.
EXTENSIONS_SWEEP_AFTER = env_float("EXTENSIONS_SWEEP_AFTER", 60.0)
EXTENSIONS_SWEEP_BATCH = env_int("EXTENSIONS_SWEEP_BATCH", 500)
CELERY_BEAT_SCHEDULE["extensions-sweep-pending-runs"] = {
    "task": "extensions.tasks.sweep_pending_runs",
    "schedule": env_float("EXTENSIONS_SWEEP_INTERVAL", 30.0),
}

# Webhooks -----------------------------------------------------------------------

WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", DEBUG)
WEBHOOKS_TIMEOUT = env_float("WEBHOOKS_TIMEOUT", 30.0)
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
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
