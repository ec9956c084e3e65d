"""Ayni's one settings module, driven by environment variables (see .env.example).

Checking out the code and running `make demo` must work with no configuration at all, so every
default is the safe, local one: SQLite in `var/`, debug off unless AYNI_DEBUG is set.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ayni.lib.env import env_bool, env_int, env_list, env_str
from ayni.lib.net import parse_proxies

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env_str("AYNI_VAR_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("AYNI_DEBUG", False)
TESTING = env_bool("AYNI_TESTING", False)

SECRET_KEY = env_str("AYNI_SECRET_KEY")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured("AYNI_SECRET_KEY must be set when AYNI_DEBUG is off")
    SECRET_KEY = "insecure-local-development-key-change-me"  # noqa: S105 - local only, refused above

ALLOWED_HOSTS = env_list("AYNI_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("AYNI_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_tasks",
    "django_tasks_db",
    "ayni.core",
    "ayni.geo",
    "ayni.orgs",
    "ayni.people",
    "ayni.rolls",
    "ayni.accounts",
    "ayni.audit",
    "ayni.kitchens",
    "ayni.evidence",
    "ayni.demo",
    "ayni.ops",
    "ayni.capture",
    "ayni.governance",
    "ayni.advocacy",
    "ayni.leadership",
    "ayni.economy",
    "ayni.files",
    "ayni.memory",
    "ayni.reach",
    "ayni.protection",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    # Before reach's: ODK Collect's answers get the same Content-Security-Policy.
    "ayni.core.middleware.SecurityHeadersMiddleware",
    "ayni.reach.middleware.OpenRosaMiddleware",  # ODK Collect's /odk/: past the browser's middleware
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ayni.core.middleware.SpanishFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ayni.reach.middleware.RegistryLanguageMiddleware",
    "ayni.core.middleware.ScopeMiddleware",
    "ayni.lib.replicas.ReadYourWritesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# The benchmarks' per-request breakdown (CPU, queries, template, SVG by view: ayni.core.profiling),
# appended to this file. Empty — off — everywhere but a benchmark's own server.
PROFILE_REQUESTS = env_str("AYNI_PROFILE_REQUESTS")
if PROFILE_REQUESTS:
    MIDDLEWARE.insert(0, "ayni.core.profiling.ProfileRequestsMiddleware")

ROOT_URLCONF = "ayni.urls"
WSGI_APPLICATION = "ayni.wsgi.application"

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
                "ayni.core.context_processors.scope",
                "ayni.capture.context_processors.outbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the default: one file, no service to run, enough for a federation. WAL lets the
# web server read while the task worker writes; the busy timeout makes a writer wait instead of
# failing with "database is locked" when two leaders save at once.
# An empty DATABASE_URL (as in .env.example and deploy/ayni.env.example) means the default too.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'ayni.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("AYNI_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # synchronous=FULL: with WAL, NORMAL never corrupts the file but may lose the last commits on
    # a power cut — a report the leader was told was saved. Nothing typed may be lost, and FULL
    # (an fsync of the WAL at every commit) cost 7.6 instead of 7.0 ms per daily-report save
    # (2,000 sequential saves through the service, ext4, 2 cores, load 2.3): no reason to risk it.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; "
            "PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["TEST"] = {"NAME": env_str("AYNI_TEST_SQLITE_NAME", "") or None}
# Behind pgbouncer in transaction mode (deploy/pgbouncer/, docs/deploy.md): one transaction
# may run on another backend than the one before it, so nothing may outlive a transaction on
# the server: no server-side cursors for .iterator(), no prepared statements.
if env_bool("AYNI_PGBOUNCER", False) and "postgresql" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
# Read replicas (lib/replicas.py): PostgreSQL hot standbys for the heavy reads, as
# "postgres://…@host:5433/ayni,postgres://…" — none by default. In a test run they mirror the
# primary (tests/test_replicas.py points an alias at the real standby itself).
for _n, _url in enumerate((u.strip() for u in env_str("AYNI_REPLICA_URLS", "").split(",") if u.strip()), 1):
    DATABASES[f"replica{_n}"] = {**dj_database_url.parse(_url, conn_max_age=env_int("AYNI_CONN_MAX_AGE", 0)),
                                 "OPTIONS": {"connect_timeout": 2}, "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["ayni.lib.replicas.ReplicaRouter"]
AYNI_REPLICA_MAX_LAG_S = env_int("AYNI_REPLICA_MAX_LAG_S", 5)  # a replica further behind is not read
AYNI_READ_YOUR_WRITES_S = env_int("AYNI_READ_YOUR_WRITES_S", 15)  # after she saves, she reads the primary
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["ayni.accounts.backends.PhoneOrUsernameBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Throttling: this many failed logins for one account within the window locks it until the
# window passes; four times as many from one address slows that address down (a wait that
# doubles with each further failure, up to the maximum), never locks it (accounts/services.py).
AYNI_LOGIN_MAX_FAILURES = env_int("AYNI_LOGIN_MAX_FAILURES", 5)
AYNI_LOGIN_WINDOW_MINUTES = env_int("AYNI_LOGIN_WINDOW_MINUTES", 15)
AYNI_LOGIN_ADDRESS_MAX_WAIT_SECONDS = env_int("AYNI_LOGIN_ADDRESS_MAX_WAIT_SECONDS", 60)
# The reverse proxies in front of Ayni (addresses or networks): only from these is X-Forwarded-For
# believed (lib/net.py). Empty: none, the connection's own address is the client's.
AYNI_TRUSTED_PROXIES = parse_proxies(env_list("AYNI_TRUSTED_PROXIES", []))
AYNI_RESET_CODE_HOURS = env_int("AYNI_RESET_CODE_HOURS", 48)
# OAI-PMH (memory/oai.py): how the repository names itself to harvesters. Empty: the host name,
# "Ayni — biblioteca de experiencias…", and SERVER_EMAIL.
AYNI_OAI_REPOSITORY_ID = env_str("AYNI_OAI_REPOSITORY_ID")
AYNI_OAI_REPOSITORY_NAME = env_str("AYNI_OAI_REPOSITORY_NAME")
AYNI_OAI_ADMIN_EMAIL = env_str("AYNI_OAI_ADMIN_EMAIL")

SESSION_COOKIE_AGE = env_int("AYNI_SESSION_SECONDS", 14 * 24 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE = env_bool("AYNI_SECURE", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
if SECURE:
    SECURE_HSTS_SECONDS = env_int("AYNI_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    SECURE_SSL_REDIRECT = env_bool("AYNI_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Language ---------------------------------------------------------------------------------
# Spanish first: the source strings are written in Spanish, so a missing translation still
# shows Spanish; English comes from the catalog in locale/en.
LANGUAGE_CODE = "es-pe"
FORMAT_MODULE_PATH = ["ayni.formats"]  # Peru: 1,443,540.50 (Django's Spanish is Spain's)
# Quechua (Southern, `qu`) is named in its own tongue, as the switch shows each language.
LANGUAGES = [("es", _("Español")), ("en", _("English")), ("qu", "Runasimi")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("AYNI_TIME_ZONE", "America/Lima")

# --- Cache -----------------------------------------------------------------------------------
# Pages and drawings kept once per set of figures (evidence/cache.py, lib/drawn.py): one cache
# for all of gunicorn's workers, in files, so a dashboard drawn by one worker serves the others
# (a cache in each worker's memory drew it once per worker). Every key carries the revision of
# what it shows, so nothing kept has to be deleted when figures change. Tests keep it in memory.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if TESTING
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": env_int("AYNI_CACHE_MAX_ENTRIES", 3000)},
        }
    )
}
# Sessions are read from that cache and written through to the database (a session evicted from
# the cache is read from the database again): every page but a session's first skips a query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("AYNI_STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = Path(env_str("AYNI_MEDIA_ROOT", str(VAR_DIR / "media")))
WHITENOISE_MAX_AGE = 31536000
# Serve straight from the apps' static folders in development and tests (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
if DEBUG or TESTING:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Background work --------------------------------------------------------------------------
# The database backend needs no broker; tests run every task immediately in-process.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if TESTING or env_bool("AYNI_TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# --- Roll import ------------------------------------------------------------------------------
# An uploaded roll is read by the task worker within these bounds, which a real kitchen's roll
# never reaches: a crafted file (a row of millions of cells, a zip bomb) is refused with a
# message, or stops itself after AYNI_IMPORT_READ_SECONDS, instead of holding the worker.
AYNI_IMPORT_MAX_ROWS = env_int("AYNI_IMPORT_MAX_ROWS", 10_000)
AYNI_IMPORT_MAX_COLUMNS = env_int("AYNI_IMPORT_MAX_COLUMNS", 60)
AYNI_IMPORT_READ_SECONDS = env_int("AYNI_IMPORT_READ_SECONDS", 60)

# --- Text messages (SMS, WhatsApp) -------------------------------------------------------------
# Which gateway sends replies and reminders: "android" (an SMS-gateway app on a phone in the
# office, reached over HTTP) or "twilio" (SMS and WhatsApp). Webhooks are refused until their
# secret is set.
AYNI_SMS_GATEWAY = env_str("AYNI_SMS_GATEWAY", "android")
AYNI_SMS_GATEWAY_URL = env_str("AYNI_SMS_GATEWAY_URL")
AYNI_SMS_GATEWAY_USER = env_str("AYNI_SMS_GATEWAY_USER")
AYNI_SMS_GATEWAY_PASSWORD = env_str("AYNI_SMS_GATEWAY_PASSWORD")
AYNI_SMS_GATEWAY_SECRET = env_str("AYNI_SMS_GATEWAY_SECRET")
# The same text from the same phone within this many minutes, through a gateway whose message ids
# are not signed (android), is a repeat: stored, not applied again (capture/messages.py).
AYNI_SMS_REPEAT_WINDOW_MINUTES = env_int("AYNI_SMS_REPEAT_WINDOW_MINUTES", 10)
AYNI_TWILIO_ACCOUNT_SID = env_str("AYNI_TWILIO_ACCOUNT_SID")
AYNI_TWILIO_AUTH_TOKEN = env_str("AYNI_TWILIO_AUTH_TOKEN")
AYNI_TWILIO_FROM = env_str("AYNI_TWILIO_FROM")
AYNI_TWILIO_WHATSAPP_FROM = env_str("AYNI_TWILIO_WHATSAPP_FROM")

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # On the handler, so a DNI or a phone number never reaches a log whatever logger wrote it.
    "filters": {"personal_data": {"()": "ayni.lib.logging.MaskPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["personal_data"]}},
    "root": {"handlers": ["console"], "level": env_str("AYNI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "ayni.core.views.csrf_failure"
# HSTS preload is a commitment for the whole domain that a federation's volunteer technician
# should make knowingly, not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# The site's public address: certificates carry it in their ids and QR codes, so that anyone can
# verify one years later (leadership). Set it to the address the federation prints.
AYNI_PUBLIC_URL = env_str("AYNI_PUBLIC_URL", "http://localhost:8000").rstrip("/")
# Protection (violence and land-rights cases): the master key lives outside the database, in a
# key file (one base64 key a line, the current one first) or in AYNI_PROTECTION_KEYS (the same,
# comma-separated). The retention keys — one per month in which cases reach the end of their
# retention, destroyed then — live beside it. docs/protection.md says how to keep and back up both.
# Tests keep theirs in a directory of their own process, never in var/.
_PROTECTION_DIR = (Path(tempfile.gettempdir()) / f"ayni-test-protection-{os.getpid()}" if TESTING
                   else VAR_DIR / "protection")
PROTECTION_KEY_FILE = Path(env_str("AYNI_PROTECTION_KEY_FILE", str(_PROTECTION_DIR / "master.key")))
PROTECTION_RETENTION_FILE = Path(env_str("AYNI_PROTECTION_RETENTION_FILE", str(_PROTECTION_DIR / "retention.json")))
# A protection page left open on a shared phone signs out after this many idle seconds.
PROTECTION_IDLE_SECONDS = env_int("AYNI_PROTECTION_IDLE_SECONDS", 300)
# Where "quick exit" lands: a page that says nothing about protection.
PROTECTION_EXIT_URL = env_str("AYNI_PROTECTION_EXIT_URL", "/")
# Leadership: the organisations' certificate signing keys are kept wrapped under a key-encryption
# key outside the database (not SECRET_KEY): a key file (one base64 key a line, the current one
# first; made on first use when nothing is set) or AYNI_LEADERSHIP_KEYS (the same, comma-separated).
_LEADERSHIP_DIR = (Path(tempfile.gettempdir()) / f"ayni-test-leadership-{os.getpid()}" if TESTING
                   else VAR_DIR / "leadership")
LEADERSHIP_KEY_FILE = Path(env_str("AYNI_LEADERSHIP_KEY_FILE", str(_LEADERSHIP_DIR / "signing.key")))
