"""Guichet settings.

Embedded default: SQLite and the in-process channel layer, so `make run` works on a bare machine.
At scale: set GUICHET_DATABASE_URL (PostgreSQL) and GUICHET_REDIS_URL (channel layer + cache) and run several
stateless ASGI workers. Every variable is documented in README.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("GUICHET_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("GUICHET_DEBUG", False)
# The default key is only for local demos; production refuses to start without a real one (see core.apps).
SECRET_KEY = os.environ.get("GUICHET_SECRET_KEY", "guichet-local-demo-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env_list("GUICHET_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("GUICHET_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")
PUBLIC_BASE_URL = os.environ.get("GUICHET_PUBLIC_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "guichet.core",
    "guichet.accounts",
    "guichet.agents",
    "guichet.routing",
    "guichet.conversations",
    "guichet.realtime",
    "guichet.omnichannel",
    "guichet.knowledge",
    "guichet.bot",
    "guichet.wfm",
    "guichet.analytics",
    "guichet.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "guichet.core.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guichet.accounts.middleware.AgentLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "guichet.urls"
ASGI_APPLICATION = "guichet.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guichet.core.context_processors.guichet",
            ],
        },
    },
]

# --- Storage -------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("GUICHET_DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("GUICHET_SQLITE_PATH", str(VAR_DIR / "guichet.sqlite3")),
            # WAL + a busy timeout let the web server, the SMTP receiver and the worker share one file.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

REDIS_URL = os.environ.get("GUICHET_REDIS_URL", "")
if REDIS_URL:
    # channels_redis waits for messages with a 5 s BZPOPMIN; redis-py 8 also defaults to a 5 s socket timeout,
    # which fires first and kills every websocket that stays idle for 5 s. The read timeout must be longer.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # The default capacity (100 per channel) silently drops events to a busy agent desk.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}], "capacity": 10000, "expiry": 60},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 10000, "expiry": 60}}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts ------------------------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/desk/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("GUICHET_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Languages -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
# Languages citizens may write in (detection is restricted to these); translation covers the rest.
GUICHET_CITIZEN_LANGUAGES = env_list("GUICHET_CITIZEN_LANGUAGES", "en,fr")
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = os.environ.get("GUICHET_TIME_ZONE", "America/Toronto")

# --- Static --------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

# --- Security ------------------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Pages allowed to embed the widget script and open its websocket ("*" only for local demos).
GUICHET_WIDGET_ALLOWED_ORIGINS = env_list("GUICHET_WIDGET_ALLOWED_ORIGINS", "*")
GUICHET_MAX_MESSAGE_CHARS = 4000
# Per citizen session: at most N messages per window; per remote address: new sessions per window.
GUICHET_RATE_LIMIT_MESSAGES = (int(os.environ.get("GUICHET_RATE_LIMIT_MESSAGES", "20")), 60)
GUICHET_RATE_LIMIT_SESSIONS = (int(os.environ.get("GUICHET_RATE_LIMIT_SESSIONS", "30")), 300)
# Agent sign-in attempts per username + address.
GUICHET_RATE_LIMIT_LOGIN = (int(os.environ.get("GUICHET_RATE_LIMIT_LOGIN", "5")), 300)
GUICHET_CITIZEN_TOKEN_MAX_AGE = 60 * 60 * 24 * 90

# --- Background jobs -----------------------------------------------------------------------------------
# Embedded mode runs the job worker inside the web process; at scale run `python -m guichet worker`.
GUICHET_EMBEDDED_WORKER = env_bool("GUICHET_EMBEDDED_WORKER", not bool(REDIS_URL))

# --- Channel providers (adapters chosen here, like Wagtail's embed finders) ----------------------------
GUICHET_CHANNEL_ADAPTERS = {
    "web": "guichet.omnichannel.adapters.webchat.WebChatAdapter",
    "email": "guichet.omnichannel.adapters.email.SmtpEmailAdapter",
    "sms": "guichet.omnichannel.adapters.sms.TwilioSmsAdapter",
    "voice": "guichet.omnichannel.adapters.voice.TwilioVoiceAdapter",
}

# --- Translation ---------------------------------------------------------------------------------------
GUICHET_TRANSLATOR = os.environ.get("GUICHET_TRANSLATOR", "none")  # "none" or "libretranslate"
GUICHET_LIBRETRANSLATE_URL = os.environ.get("GUICHET_LIBRETRANSLATE_URL", "")
GUICHET_LIBRETRANSLATE_API_KEY = os.environ.get("GUICHET_LIBRETRANSLATE_API_KEY", "")
# A slow translator must not hold a conversation: past this, the message goes through untranslated with a notice.
GUICHET_TRANSLATION_TIMEOUT_S = float(os.environ.get("GUICHET_TRANSLATION_TIMEOUT_S", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GUICHET_LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "httpx": {"level": "WARNING"}},
}

# --- Virtual agent -------------------------------------------------------------------------------------
# Inline: the bot answers in the request that stored the citizen's message (embedded mode, tests).
# Off: a "bot.reply" background job answers, so acknowledgements never wait for the model.
GUICHET_BOT_INLINE = env_bool("GUICHET_BOT_INLINE", not bool(REDIS_URL))

# --- Email ---------------------------------------------------------------------------------------------
GUICHET_SMTP_HOST = os.environ.get("GUICHET_SMTP_HOST", "127.0.0.1")
GUICHET_SMTP_PORT = int(os.environ.get("GUICHET_SMTP_PORT", "1025"))
GUICHET_SMTP_RECEIVER_PORT = int(os.environ.get("GUICHET_SMTP_RECEIVER_PORT", "2525"))

# --- Processes started beside the web server by `python -m guichet serve` (argv lists) ------------------
# The SMTP receiver is opt-in (make run turns it on) so test servers do not compete for its port.
GUICHET_EXTRA_PROCESSES: list[list[str]] = (
    [[sys.executable, "-m", "guichet", "smtp_receiver", "--host", "127.0.0.1",
      "--port", str(GUICHET_SMTP_RECEIVER_PORT)]]
    if env_bool("GUICHET_SMTP_RECEIVER", False) else []
)

# --- Presence and routing (seconds) --------------------------------------------------------------------
# An agent whose last desk closed is made away after this delay (page changes reopen the socket at once).
GUICHET_PRESENCE_AWAY_DELAY_S = int(os.environ.get("GUICHET_PRESENCE_AWAY_DELAY_S", "10"))
# Open conversations of an agent who stays away/offline this long go back to the queue at their old place.
GUICHET_PRESENCE_GRACE_S = int(os.environ.get("GUICHET_PRESENCE_GRACE_S", "60"))
GUICHET_PRESENCE_SWEEP_S = int(os.environ.get("GUICHET_PRESENCE_SWEEP_S", "60"))
# Desks ping every ~30 s; a connection silent for this long belongs to a crashed server or a lost laptop.
GUICHET_CONNECTION_STALE_S = int(os.environ.get("GUICHET_CONNECTION_STALE_S", "180"))
# Hours of recent history behind the estimated wait shown to citizens.
GUICHET_WAIT_HISTORY_H = float(os.environ.get("GUICHET_WAIT_HISTORY_H", "4"))

# --- Virtual agent integrations and thresholds ---------------------------------------------------------
# Flow integrations: {"name": {"url": ..., "secret_env": ...}}; or GUICHET_INTEGRATION_<NAME>_URL/_SECRET.
GUICHET_INTEGRATIONS: dict[str, dict[str, str]] = {}
# Overrides of the documented answer/clarify thresholds (docs/virtual-agent.md).
GUICHET_BOT_THRESHOLDS: dict[str, float] = {}
# A clearly labelled demonstration "government API" the shipped flows call in the demo (bot/demo_api.py).
GUICHET_DEMO_API = env_bool("GUICHET_DEMO_API", True)
# Load the model and build the index in the background when `serve` starts.
GUICHET_BOT_WARM_UP = env_bool("GUICHET_BOT_WARM_UP", True)

# --- Reports and surveys -------------------------------------------------------------------------------
# Service-level target per channel: answered within this many seconds.
GUICHET_SERVICE_LEVEL_TARGETS = {"web": 60, "voice": 20, "sms": 300, "email": 14400}
GUICHET_SURVEYS_ENABLED = env_bool("GUICHET_SURVEYS_ENABLED", True)
GUICHET_SURVEY_WINDOW_S = 7 * 24 * 3600
GUICHET_SURVEY_SMS_WINDOW_S = 24 * 3600
