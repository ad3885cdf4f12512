"""Django settings, read from the environment only (documented in .env.example).

Each value comes from a variable, or from the file named by ``<NAME>_FILE`` for
secrets; a bad value stops the start with a message naming the variable.
Production mode (``LIBCARD_PRODUCTION=1``) refuses to start without real keys.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
_checkout = PACKAGE_DIR.parent.parent
PROJECT_DIR = _checkout if (_checkout / "pyproject.toml").exists() else Path.cwd()


def _load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines of a local .env into the environment (never overriding it)."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


# A developer's .env must not leak into the test suite; tests set what they need.
TESTING = "pytest" in sys.modules or os.environ.get("LIBCARD_TESTING") == "1"
if not TESTING:
    _load_dotenv(Path(os.environ.get("LIBCARD_ENV_FILE", PROJECT_DIR / ".env")))


def env(name: str, default: str | None = None) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name}: {exc}") from exc
    return os.environ.get(name, default)


def envbool(name: str, default: str = "0") -> bool:
    value = (env(name, default) or "").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name}: expected 1/0, true/false, yes/no; got {value!r}")


def envint(name: str, default: int) -> int:
    value = env(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number; got {value!r}") from None


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


PRODUCTION = envbool("LIBCARD_PRODUCTION")
DEBUG = envbool("DEBUG", "0" if PRODUCTION else "1")
DATA_DIR = Path(env("LIBCARD_DATA_DIR") or PROJECT_DIR / "var")

# Keys that only a laptop may use: production refuses them below.
_DEV_SECRET = "dev-only-insecure-secret-key-0000000000000000000000000000"  # noqa: S105
_DEV_DATA_KEY = "ZGV2LW9ubHktZGF0YS1rZXktMzItYnl0ZXMtbG9uZyE="
_DEV_INDEX_KEY = "ZGV2LW9ubHktaW5kZXgta2V5LTMyLWJ5dGVzLWxvbmc="

SECRET_KEY = env("SECRET_KEY") or _DEV_SECRET
# Newest first: data is encrypted with the first and read with any (see `libcard keys rotate`).
LIBCARD_DATA_KEYS = envlist("LIBCARD_DATA_KEYS") or [_DEV_DATA_KEY]
LIBCARD_INDEX_KEY = env("LIBCARD_INDEX_KEY") or _DEV_INDEX_KEY

if PRODUCTION:
    _missing = [
        name
        for name, value, dev in (
            ("SECRET_KEY", SECRET_KEY, _DEV_SECRET),
            ("LIBCARD_DATA_KEYS", LIBCARD_DATA_KEYS[0], _DEV_DATA_KEY),
            ("LIBCARD_INDEX_KEY", LIBCARD_INDEX_KEY, _DEV_INDEX_KEY),
        )
        if value == dev
    ]
    if _missing:
        raise ImproperlyConfigured(
            "LIBCARD_PRODUCTION=1 needs real keys; missing: " + ", ".join(_missing)
        )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off when LIBCARD_PRODUCTION=1")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
SITE_URL = (env("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
# How many reverse proxies in front of the app append to X-Forwarded-For (0: use REMOTE_ADDR).
LIBCARD_TRUSTED_PROXIES = envint("LIBCARD_TRUSTED_PROXIES", 0)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django_tasks",
    "django_tasks_db",
    "libcard.core",
    "libcard.accounts",
    "libcard.readers",
    "libcard.groups",
    "libcard.individual",
    "libcard.platforms",
    "libcard.sip2",
    "libcard.front",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "libcard.accounts.middleware.ReaderMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "libcard.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "libcard.urls"
WSGI_APPLICATION = "libcard.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
STAFF_LOGIN_URL = "/staff/login/"
PORTAL_LOGIN_URL = "/portal/login/"
LOGIN_URL = PORTAL_LOGIN_URL
# Staff accounts need a second factor (TOTP); turning it off is for a laptop demo only.
STAFF_REQUIRE_2FA = envbool("STAFF_REQUIRE_2FA", "1" if PRODUCTION else "0")
if PRODUCTION and not STAFF_REQUIRE_2FA:
    raise ImproperlyConfigured("LIBCARD_PRODUCTION=1 needs STAFF_REQUIRE_2FA=1 (security.md)")

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "libcard.core.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'libcard.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A fresh checkout has no var/ yet; SQLite creates the file but not its folder.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # A file, not memory, so that tests can share it with a worker or server process.
    # One file per test process, so that parallel runs never share a test database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
    # WAL lets the worker write while the web app reads; a busy timeout instead of "locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Staff and contact users in tests log in by the thousand; readers keep argon2id.
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", _("Traditional Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Uploads, encrypted by libcard before they get here (libcard.core.files).
    "private": {
        "BACKEND": env("LIBCARD_FILE_STORAGE") or "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {} if env("LIBCARD_FILE_STORAGE") else {"location": str(DATA_DIR / "private")},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# No public media URL: uploads are encrypted and served only through checked views.
MEDIA_ROOT = DATA_DIR / "uploads"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "1" if PRODUCTION else "0")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "1")

# E-mail: "file" (one file per message in var/mail, what `make run` uses), "console" or "smtp".
_EMAIL_BACKENDS = {
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_email = env("EMAIL_BACKEND") or ("smtp" if PRODUCTION else "file")
if _email not in _EMAIL_BACKENDS:
    raise ImproperlyConfigured(f"EMAIL_BACKEND: one of {', '.join(_EMAIL_BACKENDS)}; got {_email}")
EMAIL_BACKEND = _EMAIL_BACKENDS[_email]
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env("EMAIL_HOST") or "localhost"
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "1" if PRODUCTION else "0")
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL") or "數位借閱證 <ecard@library.example>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
LIBRARY_NAME = env("LIBCARD_LIBRARY_NAME") or "國立公共資訊圖書館"
LIBRARY_CONTACT = env("LIBCARD_LIBRARY_CONTACT") or "ecard@library.example"

TASKS = {
    "default": {
        # Tests run tasks at once unless a test starts a real worker and switches back.
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if TESTING and env("LIBCARD_TEST_TASKS") != "database"
        else "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Working days (see shared/spec/workflows.md).
WORKDAYS_MAKEUP_SATURDAYS_COUNT = envbool("WORKDAYS_MAKEUP_SATURDAYS_COUNT", "1")
LIBCARD_CALENDAR_LAST_YEAR = envint("LIBCARD_CALENDAR_LAST_YEAR", 2027)
LIBCARD_CARDHOLDER_KEY = env("LIBCARD_CARDHOLDER_KEY") or ""

# The SIP2 server (integration.md): TLS when both paths are set.
SIP2_TLS_CERT = env("SIP2_TLS_CERT") or ""
SIP2_TLS_KEY = env("SIP2_TLS_KEY") or ""
SIP2_IDLE_TIMEOUT = envint("SIP2_IDLE_TIMEOUT", 300)
SIP2_MAX_CONNECTIONS_PER_ADDRESS = envint("SIP2_MAX_CONNECTIONS_PER_ADDRESS", 20)

# Readers' passwords: argon2id with OWASP's first recommended parameters (46 MiB, 1 pass,
# 1 lane): tens of milliseconds a verification. Hashes made with other parameters are
# renewed at the reader's next login.
READER_ARGON2_TIME_COST = envint("READER_ARGON2_TIME_COST", 1)
READER_ARGON2_MEMORY_KIB = envint("READER_ARGON2_MEMORY_KIB", 47104)
READER_ARGON2_PARALLELISM = envint("READER_ARGON2_PARALLELISM", 1)
# Login throttling, shared by web, API and SIP2 (security.md).
THROTTLE_FREE_FAILURES = envint("THROTTLE_FREE_FAILURES", 5)
THROTTLE_IP_FREE_FAILURES = envint("THROTTLE_IP_FREE_FAILURES", 50)
THROTTLE_MAX_DELAY = envint("THROTTLE_MAX_DELAY", 900)

# Readers, cards and group applications (workflows.md).
INITIAL_PASSWORD_DAYS = envint("INITIAL_PASSWORD_DAYS", 30)
ROSTER_DAYS = envint("ROSTER_DAYS", 14)
GROUP_DUE_WORKING_DAYS = envint("GROUP_DUE_WORKING_DAYS", 10)
GROUP_WARNING_WORKING_DAY = envint("GROUP_WARNING_WORKING_DAY", 7)
GROUP_FILE_MONTHS = envint("GROUP_FILE_MONTHS", 6)
# Issue queued applications without a staff click (a periodic job), when the library wants it.
GROUP_AUTO_ISSUE = envbool("GROUP_AUTO_ISSUE", "0")
SIGNUP_LINK_DAYS = envint("SIGNUP_LINK_DAYS", 30)
# Retention (security.md): what the retention job removes, and when.
RETENTION_READER_FILE_DAYS = envint("RETENTION_READER_FILE_DAYS", 90)
RETENTION_IDENTITY_IMAGE_DAYS = envint("RETENTION_IDENTITY_IMAGE_DAYS", 30)
ATTACHMENT_MAX_BYTES = envint("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)

# Individual applications (workflows.md) and the Citizen Digital Certificate (identity.md).
INDIVIDUAL_REVIEW_WORKING_DAYS = envint("INDIVIDUAL_REVIEW_WORKING_DAYS", 3)
INDIVIDUAL_CONFIRM_DAYS = envint("INDIVIDUAL_CONFIRM_DAYS", 3)  # e-mail confirmation link validity
INDIVIDUAL_UPLOAD_MAX_BYTES = envint("INDIVIDUAL_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
INDIVIDUAL_UPLOAD_MAX_PIXELS = envint("INDIVIDUAL_UPLOAD_MAX_PIXELS", 50_000_000)
# PEM/DER files, comma-separated: the GRCA root and MOICA G2/G3. Empty: the certificate path is off.
MOICA_TRUST_ANCHORS = envlist("MOICA_TRUST_ANCHORS")
MOICA_CRL_CACHE_DIR = env("MOICA_CRL_CACHE_DIR") or str(DATA_DIR / "crl-cache")
MOICA_ALLOW_FETCHING = envbool("MOICA_ALLOW_FETCHING", "1")

# The reader data file (see shared/spec/reader-file.md).
READERFILE_MAX_BYTES = envint("READERFILE_MAX_BYTES", 20 * 1024 * 1024)
READERFILE_MAX_INFLATED = envint("READERFILE_MAX_INFLATED", 200 * 1024 * 1024)
READERFILE_MAX_ROWS = envint("READERFILE_MAX_ROWS", 50_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The public "check your file" page: checks per client address per window.
CHECK_PAGE_RATE = envint("CHECK_PAGE_RATE", 20)
CHECK_PAGE_WINDOW = envint("CHECK_PAGE_WINDOW", 600)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "INFO"},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "django.request": {"level": "ERROR"},
        # Every task start and finish is not news; failures still are.
        "django_tasks": {"level": "WARNING"},
    },
}
