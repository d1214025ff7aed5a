"""Liveness endpoint: is the database answering, and the broker where one is set."""

import logging
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _check_broker(url: str) -> str | None:
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    started = time.monotonic()
    checks: dict[str, str] = {}
    failures: dict[str, str] = {}

    db_error = _check_database()
    checks["database"] = "ok" if db_error is None else "failing"
    if db_error:
        failures["database"] = db_error

    broker_url = settings.CELERY_BROKER_URL
    if broker_url and not broker_url.startswith("memory://"):
        broker_error = _check_broker(broker_url)
        checks["broker"] = "ok" if broker_error is None else "failing"
        if broker_error:
            failures["broker"] = broker_error
    else:
        checks["broker"] = "in-process"

    body: dict[str, object] = {
        "status": "ok" if not failures else "failing",
        "checks": checks,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    if failures:
        body["errors"] = failures
        logger.warning("healthz failing parts=%s", ",".join(sorted(failures)))
    return JsonResponse(body, status=200 if not failures else 503)
