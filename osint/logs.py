"""Logging configuration: readable lines in development, JSON lines in production.

Modules log domain events as `key=value` pairs with lazy `%` arguments; the JSON
formatter keeps that message whole and adds time, level and logger name.
"""

from typing import Any


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    formatter = "json" if log_format == "json" else "console"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "console": {
                "format": "%(asctime)s %(levelname)-7s %(name)s %(message)s",
            },
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level"},
            },
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": formatter},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"level": "INFO", "propagate": True},
            "django.db.backends": {"level": "WARNING"},
            "celery": {"level": "INFO"},
            # Per-step progress lines of every render; only problems matter.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
            # One line per request; the fetcher logs its own outcome per feed.
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        },
    }
