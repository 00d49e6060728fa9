"""The only settings module. Everything comes from the environment.

With no DATABASE_URL the project runs on SQLite, with no REDIS_URL it uses
in-process caches and channel layers and a filesystem Celery broker: enough
for ``make run`` on a bare machine. Production sets both (see README).
"""

import datetime as dt
from pathlib import Path

from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
# The development default is refused by serving processes with DEBUG=0
# (config/startup.py); management commands still run with it.
SECRET_KEY = env_str("SECRET_KEY", "dev-insecure-secret-key-change-me")
# The key of the 18-digit message IDs bots see (core.public_ids); empty:
# derived from SECRET_KEY. Changing either renumbers every message.
PUBLIC_ID_KEY = env_str("PUBLIC_ID_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "channels",
    "axes",
    "csp",
    "core",
    "accounts",
    "messaging",
    "chat",
    "richmenu",
    "shopcard",
    "voom",
    "research",
    "coupons",
    "analytics",
    "talk",
]

MIDDLEWARE = [
    # First: a declared body over MAX_REQUEST_BODY_BYTES is a 413, unread.
    "core.bodylimit.BodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A domain NotFound from any view is a 404 page (core.exceptions).
    "core.middleware.NotFoundMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
                "accounts.context_processors.manager",
                "core.context_processors.realtime",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
    # JIT compilation costs more than it saves on this app's short queries.
    DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}
    # Under ASGI every request runs in a fresh thread, so persistent
    # per-thread connections (CONN_MAX_AGE) would pile up until PostgreSQL
    # refuses clients. Web processes set DB_POOL_MAX (Procfile, compose) to
    # share a psycopg pool between threads; Celery's forked workers keep
    # plain connections (a pool's threads do not survive fork).
    DB_POOL_MAX = env_int("DB_POOL_MAX", 0)
    if DB_POOL_MAX > 0:
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": 1,
            "max_size": DB_POOL_MAX,
            "timeout": 20,
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out login before the password is
# checked (docs/security.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Failed logins (Manager and admin) are counted per username and, separately,
# per client address (REMOTE_ADDR; uvicorn sets it from X-Forwarded-For of
# trusted proxies). At the limit, every login of that username or from that
# address is refused for the cool-off, extended by each attempt meanwhile;
# operators unlock in Django admin ("Access attempts") or with
# ``manage.py axes_reset_username <name>``.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "accounts.views.login_locked_out"
# Failures only: no row per successful login.
AXES_DISABLE_ACCESS_LOG = True
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:account-list"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
# Uploads above this size are streamed to a temporary file, never held in RAM.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Whole request bodies above this are refused with 413 before they are read
# (core/bodylimit.py, in front of Django under ASGI): the largest upload
# (a 10 MB photo, core.images.IMAGE_MAX_BYTES) plus 1 MB for the rest of
# its form. The Messaging API keeps LINE's own 2 MB limit.
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 11 * 1024 * 1024)
# The paths that take video and audio (LINE: up to 200 MB) get this limit:
# the composer's upload and the talk app's send (core/bodylimit.py).
MAX_MEDIA_BODY_BYTES = env_int("MAX_MEDIA_BODY_BYTES", 201 * 1024 * 1024)
MEDIA_UPLOAD_PATHS = [
    r"/manager/[^/]+/broadcasts/images/$",
    r"/talk/rooms/\d+/send$",
    # VOOM posts: one video of 200 MB, or up to 20 photos of 10 MB.
    r"/manager/[^/]+/posts/new/$",
    r"/manager/[^/]+/posts/\d+/$",
    # 1,500,000 user IDs a line (LINE's audience file limit): ~51 MB
    r"/v2/bot/audienceGroup/upload/byFile$",
]
# Images one process decodes at once (core.images): each may take up to
# ~67 MB (4096×4096 RGBA); an upload waits this long for a turn, then is
# refused with "try again".
IMAGE_DECODE_CONCURRENCY = env_int("IMAGE_DECODE_CONCURRENCY", 2)
IMAGE_DECODE_WAIT_SECONDS = env_int("IMAGE_DECODE_WAIT_SECONDS", 20)

REDIS_URL = env_str("REDIS_URL", "")
# Every key this product writes to Redis (cache, channel layer, rate limits,
# the broker's sentinel) starts with this prefix: two installations, or two
# test runs, can share one Redis without reading each other's keys.
REDIS_KEY_PREFIX = env_str("REDIS_KEY_PREFIX", "lineoa")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s timeout by default, shorter than
            # channels_redis's blocking receive: idle sockets would drop
            # every 5 s (django/channels_redis#422).
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": f"{REDIS_KEY_PREFIX}:asgi",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Events raised in a Celery worker (broadcasts, step messages, API sends)
# reach the pages' sockets only through a shared (Redis) channel layer; with
# the in-memory one the talk app keeps polling while its socket is open.
REALTIME_WORKER_EVENTS = bool(REDIS_URL)

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    # Queues, unacknowledged tasks and results under REDIS_KEY_PREFIX too.
    {"global_keyprefix": f"{REDIS_KEY_PREFIX}:"}
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    else {}
    if CELERY_BROKER_URL != "filesystem://"
    else {
        "data_folder_in": str(VAR_DIR / "celery" / "queue"),
        "data_folder_out": str(VAR_DIR / "celery" / "queue"),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
)
if CELERY_BROKER_URL == "filesystem://":
    # The embedded broker needs its folders before any process connects.
    for _folder in ("queue", "processed", "control"):
        (VAR_DIR / "celery" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Celery's Django fixup closes database connections around every task unless
# this is set; then it recycles them every this many tasks, and
# config/celery.py closes broken or expired ones (CONN_MAX_AGE) as Django
# does after a request.
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    "tokens-prune": {
        "task": "accounts.prune_expired_tokens_task",
        "schedule": 3600.0,
    },
    # Daily analytics rollups up to each account's local yesterday.
    "analytics-rollup": {
        "task": "analytics.rollup_task",
        "schedule": 900.0,
    },
    # Webhook deliveries whose (retry) task was lost with a worker or broker.
    "webhook-deliveries-resume": {
        "task": "messaging.resume_webhook_deliveries_task",
        "schedule": 30.0,
    },
    "webhook-records-prune": {
        "task": "messaging.prune_webhook_records_task",
        "schedule": 3600.0,
    },
    "retry-keys-prune": {
        "task": "messaging.prune_retry_keys_task",
        "schedule": 3600.0,
    },
    # Snoozed chat conversations come back when their time is up.
    "chat-snoozes-wake": {
        "task": "chat.wake_snoozed_conversations_task",
        "schedule": 60.0,
    },
    # Starts due broadcasts and revives stalled fan-outs (idempotent).
    "broadcasts-dispatch": {
        "task": "messaging.broadcasts_dispatch_task",
        "schedule": 15.0,
    },
    # Scheduled VOOM posts go live (idempotent).
    "voom-posts-publish": {
        "task": "voom.publish_due_posts_task",
        "schedule": 60.0,
    },
    # "Coupon unused N days after acquiring" step triggers.
    "coupon-unused-steps": {
        "task": "coupons.start_unused_coupon_steps_task",
        "schedule": 3600.0,
    },
    "step-messages-send": {
        "task": "messaging.step_messages_send_task",
        "schedule": 60.0,
    },
    # Shop card points and tickets about to expire (docs/shopcard.md).
    "shopcard-reminders": {
        "task": "shopcard.reminders_send_task",
        "schedule": 3600.0,
    },
}

# Seconds before a failed webhook's first retry (tripled per attempt).
WEBHOOK_RETRY_BACKOFF_SECONDS = env_int("WEBHOOK_RETRY_BACKOFF_SECONDS", 10)
# How long an API process may answer a bearer token from its own memory
# (accounts.channel_auth); revocations and account changes reach every
# process at once through a Redis epoch, this bounds everything else.
CHANNEL_AUTH_CACHE_SECONDS = env_int("CHANNEL_AUTH_CACHE_SECONDS", 60)
# Deliveries (usually one event each) one webhook POST may carry when a bot
# has a backlog; 1 sends every delivery alone. The bot must answer the
# whole POST within LINE's 2 s (docs/api.md, "Webhook throughput").
WEBHOOK_BATCH_SIZE = env_int("WEBHOOK_BATCH_SIZE", 20)
# Deliveries to one bot share one queued task (messaging/webhooks/services.py
# ``_enqueue``): needs a cache every process shares, so only with Redis.
WEBHOOK_TASK_COALESCING = bool(REDIS_URL)

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "noreply@lineoa.localhost")

# Behind TLS (production, the compose stack): HTTPS_ONLY=1 turns on what
# ``manage.py check --deploy`` asks for: redirect to https, secure cookies,
# HSTS for a year with subdomains and preload. Each can be set on its own.
HTTPS_ONLY = env_bool("HTTPS_ONLY", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS_ONLY)
# The container health check calls http://127.0.0.1:8000/healthz.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS_ONLY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS_ONLY)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS_ONLY)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The LINE API's ``Authorization: Bearer <channel access token>``.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ChannelTokenAuthentication"
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LINE-compatible Messaging API",
    "VERSION": "0.1.0",
    # Every operation lists the errors the shared base view can answer.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.line_error_responses",
    ],
    # Two "status" enums: the Messaging API's delivery counts and Insight's.
    "ENUM_NAME_OVERRIDES": {
        "InsightStatusEnum": ["ready", "unready", "out_of_service"],
        "DeliveryCountStatusEnum": [
            "ready",
            "unready",
            "unavailable_for_privacy",
            "out_of_service",
        ],
    },
}

# Content-Security-Policy (django-csp) on every answer: scripts, styles and
# connections only from this site; the pages carry no inline script,
# handler or style attribute (tests/core/test_csp.py). Images and media may
# come from anywhere: bots send image, video and audio messages by URL.
# A nonce is available as ``request.csp_nonce`` should an inline script
# ever be unavoidable.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": ["*", "data:", "blob:"],
        "media-src": ["*", "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Product switches.
TALK_APP_ENABLED = env_bool("TALK_APP_ENABLED", True)
# The talk app's one-click demo customer login (``make run`` turns it on).
# Off: customers sign up and log in; staff rehearse from the Manager.
TALK_DEMO_LOGIN = env_bool("TALK_DEMO_LOGIN", False)
# Webhooks go to https:// URLs on public addresses only, checked after DNS
# at every connection (docs/security.md). On, http:// and loopback/private
# addresses are allowed too: for a bot running on this machine or network
# (``make run`` turns it on). Never in production: bots could then make
# this server POST to anything inside its network.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
INVITATION_TTL_DAYS = 7
MAX_MEMBERS_PER_ACCOUNT = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"expected_forbidden": {"()": "core.logging.ExpectedForbidden"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["expected_forbidden"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO; webhook attempts are in their own
    # ledger (WebhookAttempt), so only its warnings reach the log.
    # django-axes logs every login at INFO; lockouts come at WARNING.
    "loggers": {"httpx": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
