"""Settings, all from environment variables so one build runs anywhere.

TSUNAGU_DEBUG           "1" for development (default off)
TSUNAGU_SECRET_KEY      the signing key; without it one is generated once into the data directory
TSUNAGU_ALLOWED_HOSTS   comma-separated host names (default: localhost names only)
TSUNAGU_DATA_DIR        the SQLite file and the generated key (default: var/ in the repo)
DATABASE_URL            e.g. postgres://user@host:5432/db (default: SQLite in the data directory)
TSUNAGU_REFERRAL_DUE_BUSINESS_DAYS  days a receiving window has to answer a referral (default 2)
TSUNAGU_SUPPORT_MEETING_GRANT_DAYS  days after a 支援会議 its pledged attendees keep seeing
                                    the people discussed (default 30)
TSUNAGU_IDLE_TIMEOUT_MINUTES    sign out after this long without activity (default 30)
TSUNAGU_IDLE_WARNING_MINUTES    warn this long before the idle sign-out (default 2)
TSUNAGU_LOGIN_FAILURE_LIMIT     wrong passwords in a row that lock an account (default 5)
TSUNAGU_LOCKOUT_MINUTES         how long a lock lasts unless a manager unlocks it (default 30)
TSUNAGU_PASSWORD_MIN_LENGTH     shortest password accepted (default 15, see docs/security.md)
TSUNAGU_API_TOKEN_DAYS          how long a new API token works (default 90)
TSUNAGU_SECURE_COOKIES          "1" behind HTTPS: secure cookies, HSTS, redirect to HTTPS
TSUNAGU_HSTS_SECONDS            HSTS max-age with secure cookies (default one year)
TSUNAGU_PROXY_SSL_HEADER        "1" when a reverse proxy terminates TLS and sets X-Forwarded-Proto
TSUNAGU_BACKUP_KEY              the passphrase backups are encrypted with (tsunagu backup)
TSUNAGU_EXPORT_ARCHIVE_PASSWORD the city's key for encrypted exports (core/archive.py); unset:
                                a one-time password per download, shown once
TSUNAGU_MEDIA_DIR               uploaded files (default: media/ in the data directory)
TSUNAGU_TASK_LOST_HOURS         a running task whose worker cannot be checked is taken for lost
                                after this long (default 6; 0: never; core/lost_tasks.py)
TSUNAGU_TASK_SWEEP_MINUTES      how often a task worker sweeps for lost tasks (default 5)
"""

import datetime as dt
import os
import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.utils.csp import CSP

# Lets ModelAdmin[Model] and QuerySet[Model] be written at run time as the type checker wants.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("TSUNAGU_DATA_DIR", REPO_DIR / "var"))
DEBUG = _env_bool("TSUNAGU_DEBUG")


def _secret_key() -> str:
    key = os.environ.get("TSUNAGU_SECRET_KEY")
    if key:
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.touch(mode=0o600)
    key_file.write_text(key)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("TSUNAGU_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(
        ","
    )
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    # tsunagu.core before django_tasks_db: the first app with a command of a name wins, and core's
    # `db_worker` (a worker named after its process, core/lost_tasks.py) replaces the package's
    "tsunagu.core",
    "django_tasks_db",
    "tsunagu.organizations",
    "tsunagu.accounts",
    "tsunagu.cityplan",
    "tsunagu.meetings",
    "tsunagu.resources",
    "tsunagu.people",
    "tsunagu.consultations",
    "tsunagu.consent",
    "tsunagu.referrals",
    "tsunagu.access",
    "tsunagu.imports",
    "tsunagu.cases",
    "tsunagu.meetingrecords",
    "tsunagu.outreach",
    "tsunagu.participation",
    "tsunagu.recordkeeping",
    "tsunagu.evaluation",
    "tsunagu.portal",
    "tsunagu.demo",
    "tsunagu.backup",
    "tsunagu.synthetic",
]

REFERRAL_DUE_BUSINESS_DAYS = int(os.environ.get("TSUNAGU_REFERRAL_DUE_BUSINESS_DAYS", "2"))
SUPPORT_MEETING_GRANT_DAYS = int(os.environ.get("TSUNAGU_SUPPORT_MEETING_GRANT_DAYS", "30"))
# years a person's records are kept after the last activity on them (then erased: recordkeeping)
RETENTION_YEARS = int(os.environ.get("TSUNAGU_RETENTION_YEARS", "5"))
# person searches one staff member may make per minute (city-wide reads are rate-limited)
PERSON_SEARCH_RATE_PER_MINUTE = int(os.environ.get("TSUNAGU_PERSON_SEARCH_RATE", "60"))
MAX_IMPORT_BYTES = 10 * 1024 * 1024
API_TOKEN_DAYS = int(os.environ.get("TSUNAGU_API_TOKEN_DAYS", "90"))
# Background tasks (core/tasks.py): the database backend, run by `tsunagu db_worker`; tests
# use the immediate backend (conftest.py)
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TSUNAGU_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A worker that dies leaves its task RUNNING; the sweep (core/lost_tasks.py) fails it and puts its
# record right. A worker named `<host>:<pid>` is checked on its host; a task whose worker cannot
# be checked (another host, another kind of id) is taken for lost after this many hours (0: never)
TASK_LOST_HOURS = float(os.environ.get("TSUNAGU_TASK_LOST_HOURS", "6"))
# how often a running `tsunagu db_worker` sweeps (besides once as it starts; 0: only then)
TASK_SWEEP_MINUTES = float(os.environ.get("TSUNAGU_TASK_SWEEP_MINUTES", "5"))
# Django's cache, one for every server and task process on this machine (files under the data
# directory): the dashboard's figures and charts are counted and drawn once for all, by the
# task worker, and the public map's pages kept a minute. (Rate limits count in the database,
# access/throttle.py.) Several application servers need a cache server instead (performance.md).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("TSUNAGU_CACHE_DIR", str(DATA_DIR / "cache")),
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
}
# hours an API Idempotency-Key (and the first answer kept under it) lives
IDEMPOTENCY_KEY_HOURS = int(os.environ.get("TSUNAGU_IDEMPOTENCY_KEY_HOURS", "24"))
IDLE_TIMEOUT_SECONDS = int(os.environ.get("TSUNAGU_IDLE_TIMEOUT_MINUTES", "30")) * 60
IDLE_WARNING_SECONDS = int(os.environ.get("TSUNAGU_IDLE_WARNING_MINUTES", "2")) * 60
# The public resource map's tiles ({z}/{x}/{y}), e.g. the city's own tile server or
# https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png (国土地理院). Empty (the default,
# since nothing is fetched from the internet unless the city says so): no map, the list alone.
MAP_TILE_URL = os.environ.get("TSUNAGU_MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = os.environ.get(
    "TSUNAGU_MAP_TILE_ATTRIBUTION",
    '<a href="https://maps.gsi.go.jp/development/ichiran.html">国土地理院</a>',
)
# requests per minute one client address may make to the public map
PUBLIC_MAP_RATE_PER_MINUTE = int(os.environ.get("TSUNAGU_PUBLIC_MAP_RATE", "120"))


def _per_city_days(text: str, default: int) -> dict[str, int]:
    """ "30" or "default=30,imizu=21": days per city slug."""
    out = {"default": default}
    for part in filter(None, (p.strip() for p in text.split(","))):
        slug, _, days = part.rpartition("=")
        out[slug or "default"] = int(days)
    return out


# a case without a recorded contact for this many days shows on the coordinator's work list
CASE_NO_CONTACT_DAYS = _per_city_days(os.environ.get("TSUNAGU_CASE_NO_CONTACT_DAYS", ""), 30)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tsunagu.accounts.middleware.SessionUserMiddleware",
    "tsunagu.accounts.middleware.IdleTimeoutMiddleware",
    "tsunagu.accounts.middleware.LoginRequiredMiddleware",
    "tsunagu.portal.middleware.StrictApiQueryMiddleware",
    "tsunagu.portal.idempotency.IdempotencyMiddleware",
    "tsunagu.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tsunagu.accounts.middleware.NoStoreMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tsunagu.config.urls"
WSGI_APPLICATION = "tsunagu.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tsunagu.portal.context_processors.tsunagu",
                "tsunagu.accounts.context_processors.idle_timeout",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'tsunagu.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    # writers wait their turn (up to 30 s) instead of failing with "database is locked"
    DATABASES["default"]["OPTIONS"]["timeout"] = 30
    # tests run on a file too (an in-memory database locks whole tables between threads, which
    # the file in production never does); each test process has its own file
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Argon2id first; the others only let an older hash sign in once, when it is rehashed.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Length and a list of breached/common passwords, no composition rules (NIST SP 800-63B-4;
# reasons in docs/security.md). All checks are offline.
PASSWORD_MIN_LENGTH = int(os.environ.get("TSUNAGU_PASSWORD_MIN_LENGTH", "15"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "tsunagu.accounts.passwords.ContextWordsValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes refuses a locked-out account before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's password check; the session's user comes with its organization and city.
    "tsunagu.accounts.backends.StaffBackend",
]
# Lockout (django-axes): by user name, whatever the address, for a while or until a manager of
# the same city unlocks it (/accounts/staff/).
AXES_FAILURE_LIMIT = int(os.environ.get("TSUNAGU_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("TSUNAGU_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks to lock by address too. Locking by user name already counts the failures from
# every address, user agent and cookie, so rotating them gains an attacker nothing; locking by
# address would lock out a whole office that reaches the server through one proxy address.
# models.W040: SQLite has no covering indexes; an index's `include` columns (read from the index
# alone on PostgreSQL, the production database) are simply left out there.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "models.W040"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
# Two factors (django-otp, TOTP): the issuer shown in the authenticator app.
OTP_TOTP_ISSUER = "つなぐ"
OTP_TOTP_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語")]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# The app serves its own files (closed municipal networks have no CDN); with finders on,
# `collectstatic` is optional.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

BACKUP_KEY = os.environ.get("TSUNAGU_BACKUP_KEY", "")
EXPORT_ARCHIVE_PASSWORD = os.environ.get("TSUNAGU_EXPORT_ARCHIVE_PASSWORD", "")
MEDIA_ROOT = Path(os.environ.get("TSUNAGU_MEDIA_DIR", DATA_DIR / "media"))

# Sessions carry their user (accounts.UserSession) so that all of them can be ended at once.
SESSION_ENGINE = "tsunagu.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60  # the longest a session lives; idle ones end much sooner
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


# Content-Security-Policy (Django's own): the app's own scripts, styles and images only; no
# inline script or style, no eval, no framing, forms post only to the app.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],  # the public map adds its tile server (resources)
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if not DEBUG:
    SESSION_COOKIE_SECURE = _env_bool("TSUNAGU_SECURE_COOKIES", default=False)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    if SESSION_COOKIE_SECURE:
        # Served over HTTPS only: browsers remember it (HSTS) and plain HTTP is redirected.
        SECURE_SSL_REDIRECT = True
        SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
        SECURE_HSTS_SECONDS = int(os.environ.get("TSUNAGU_HSTS_SECONDS", str(365 * 24 * 3600)))
        SECURE_HSTS_INCLUDE_SUBDOMAINS = True
        SECURE_HSTS_PRELOAD = True
    if _env_bool("TSUNAGU_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
