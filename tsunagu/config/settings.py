"""Settings, all from environment variables so one build runs anywhere.

TSUNAGU_DEBUG           "1" for development (default off)
TSUNAGU_SECRET_KEY      the signing key; without it one is generated once into the data directory
TSUNAGU_ALLOWED_HOSTS   comma-separated host names (default: localhost names only)
TSUNAGU_DATA_DIR        the SQLite file and the generated key (default: var/ in the repo)
DATABASE_URL            e.g. postgres://user@host:5432/db (default: SQLite in the data directory)
TSUNAGU_REFERRAL_DUE_BUSINESS_DAYS  days a receiving window has to answer a referral (default 2)
"""

import os
import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext

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
    "tsunagu.core",
    "tsunagu.organizations",
    "tsunagu.accounts",
    "tsunagu.cityplan",
    "tsunagu.meetings",
    "tsunagu.people",
    "tsunagu.consultations",
    "tsunagu.consent",
    "tsunagu.referrals",
    "tsunagu.access",
    "tsunagu.imports",
    "tsunagu.cases",
    "tsunagu.recordkeeping",
    "tsunagu.portal",
    "tsunagu.demo",
]

REFERRAL_DUE_BUSINESS_DAYS = int(os.environ.get("TSUNAGU_REFERRAL_DUE_BUSINESS_DAYS", "2"))
# years a person's records are kept after the last activity on them (then erased: recordkeeping)
RETENTION_YEARS = int(os.environ.get("TSUNAGU_RETENTION_YEARS", "5"))
# person searches one staff member may make per minute (city-wide reads are rate-limited)
PERSON_SEARCH_RATE_PER_MINUTE = int(os.environ.get("TSUNAGU_PERSON_SEARCH_RATE", "60"))
MAX_IMPORT_BYTES = 10 * 1024 * 1024


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
    "tsunagu.accounts.middleware.LoginRequiredMiddleware",
    "tsunagu.portal.middleware.StrictApiQueryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = _env_bool("TSUNAGU_SECURE_COOKIES", default=False)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
