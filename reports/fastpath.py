"""The download fast path: `/reports/<id>/pdf/` answered beside Django.

When a report comes out, its followers all fetch the PDF at once. Through
Django each download reads the session, the user and the groups, queries the
publication and inserts a log row: milliseconds of work to send bytes that
never change. This ASGI layer (installed by `osint/asgi.py`) answers the
same request from memory once the first one has been checked:

- grants: (session key, report id) -> the reader and the file, found by
  the same domain functions the view calls (`publication_for_reader`) and
  reused for OSINT_DOWNLOAD_GRANT_SECONDS. A sign-out, a role taken away, a
  withdrawal or a correction reaches downloads within that time; 0 checks
  every download.
- bodies: the PDF bytes by SHA-256 (published bytes never change), checked
  against the publication's digest when read, up to OSINT_DOWNLOAD_CACHE_MB.
- the download log: each download is queued with its time and written in
  a few INSERTs per second (at most 2,000 rows a batch) and when the server
  stops.
  A worker killed outright loses at most that second's rows.

Anything it is not sure of (another path or method, no session cookie, a
session that does not check out, a refused or unknown report, a file too big
to keep) goes to Django untouched, so the sign-in redirect, 403 and 404 stay
Django's answers alone. HTTP rules (ETag, Range) come from
`reports.delivery`, shared with the view.
"""

import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.core.files.storage import default_storage
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from reports.delivery import PdfAnswer, PdfFile, pdf_answer
from reports.errors import DeskError
from reports.models import Download, Publication
from reports.publishing import pdf_file, publication_for_reader

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = Mapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_PDF_PATH = re.compile(r"^/reports/([0-9]{1,18})/pdf/$")
_SESSION_KEY_SHAPE = re.compile(rb"^[a-z0-9]{8,64}$")
_WANTED = {b"cookie", b"if-none-match", b"range", b"if-range"}
# Grants kept at most: past this, expired ones go, then the oldest.
_MOST_GRANTS = 10_000


@dataclass(frozen=True)
class Grant:
    """One session's right to one report's current PDF, until `expires`."""

    user_id: int
    file: PdfFile
    storage_name: str
    expires: float
    # Headers of the common answer (a plain GET of the whole file), built once.
    plain: tuple[tuple[bytes, bytes], ...]


def download_grant(
    *,
    session_key: str,
    report_id: int,
    ttl: float,
    site_headers: tuple[tuple[bytes, bytes], ...],
) -> Grant | None:
    """The signed-in reader behind `session_key` and the PDF they may fetch.

    None whenever Django should answer instead: no such session, a session
    whose user or password changed, a user who may not read the report.
    `site_headers` (what Django's middleware adds) end the prepared headers.
    """
    _drop_stale_connections()
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key)
    try:
        raw_user_id = session[SESSION_KEY]
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    session_hash = session.get(HASH_SESSION_KEY) or ""
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user_id = get_user_model()._meta.pk.to_python(raw_user_id)
    user = load_backend(backend_path).get_user(user_id)
    # Only the current secret: a session signed with a fallback key is
    # rotated by Django's own path, which can set the new cookie.
    if user is None or not constant_time_compare(
        session_hash, user.get_session_auth_hash()
    ):
        return None
    try:
        publication = publication_for_reader(user=user, report_id=report_id)
    except DeskError:
        return None
    file = pdf_file(publication, current=True)
    plain = pdf_answer(file, method="GET")
    return Grant(
        user_id=user.pk,
        file=file,
        storage_name=str(publication.pdf.name),
        expires=time.monotonic() + ttl,
        plain=_encoded(plain) + site_headers,
    )


def pdf_bytes(*, storage_name: str, sha256: str) -> bytes | None:
    """The stored bytes of a publication, or None when missing or altered."""
    try:
        with default_storage.open(storage_name, "rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        return None
    if hashlib.sha256(data).hexdigest() != sha256:
        logger.error("publication file altered name=%s", storage_name)
        return None
    return data


def downloads_write(rows: list[tuple[int, int, str, Any]]) -> int:
    """Insert queued downloads (publication, user, range, time); the count kept.

    Plain multi-row INSERTs without model instances: at thousands of
    downloads a second, building a Download object per row would cost more
    than the download. Rows of a publication deleted meanwhile are dropped,
    not the batch; a user deleted meanwhile is logged as nobody, as the
    model's SET_NULL would have it.
    """
    _drop_stale_connections()
    with transaction.atomic():
        existing = set(
            Publication.objects.filter(pk__in={row[0] for row in rows}).values_list(
                "pk", flat=True
            )
        )
        users = set(
            get_user_model()
            .objects.filter(pk__in={row[1] for row in rows})
            .values_list("pk", flat=True)
        )
        adapt = connection.ops.adapt_datetimefield_value
        values = [
            (p, u if u in users else None, span, adapt(at))
            for p, u, span, at in rows
            if p in existing
        ]
        with connection.cursor() as cursor:
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(chunk))
                cursor.execute(
                    _INSERT_DOWNLOADS + placeholders,
                    [field for row in chunk for field in row],
                )
    return len(values)


# One statement per 500 rows rather than executemany: the driver lets go of
# the GIL once per statement, so a flush does not keep stalling the event
# loop that serves the downloads.
_INSERT_DOWNLOADS = (
    f"INSERT INTO {Download._meta.db_table} "
    "(publication_id, user_id, byte_range, at) VALUES "
)


def _drop_stale_connections() -> None:
    # What Django does between requests, for this thread's connections: a
    # connection broken or past CONN_MAX_AGE is closed before it is used.
    # One inside a transaction (a test's, say) is never touched.
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def _encoded(answer: PdfAnswer) -> tuple[tuple[bytes, bytes], ...]:
    return tuple((k.lower().encode(), v.encode("latin-1")) for k, v in answer.headers)


def _site_headers() -> tuple[tuple[bytes, bytes], ...]:
    """What Django's middleware adds to a download answer."""
    headers = [(b"vary", b"Cookie")]
    if settings.SECURE_REFERRER_POLICY:
        policy = settings.SECURE_REFERRER_POLICY
        value = policy if isinstance(policy, str) else ",".join(policy)
        headers.append((b"referrer-policy", value.encode()))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(
            (
                b"cross-origin-opener-policy",
                settings.SECURE_CROSS_ORIGIN_OPENER_POLICY.encode(),
            )
        )
    headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.upper().encode()))
    return tuple(headers)


class DownloadQueue:
    """Downloads waiting to be written, flushed in batches."""

    def __init__(self, *, every_seconds: float = 1.0, most_rows: int = 2000) -> None:
        self.every_seconds = every_seconds
        self.most_rows = most_rows
        self.rows: list[tuple[int, int, str, Any]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: set[asyncio.Task[None]] = set()

    def add(self, *, publication_id: int, user_id: int, span: str) -> None:
        self.rows.append((publication_id, user_id, span, timezone.now()))
        if len(self.rows) >= self.most_rows:
            self._flush_soon(0)
        elif self._timer is None:
            self._flush_soon(self.every_seconds)

    async def flush(self) -> None:
        """Write every queued row now; failed rows stay queued for the next try."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rows, self.rows = self.rows, []
        if not rows:
            return
        try:
            await sync_to_async(downloads_write)(rows)
        except Exception:
            logger.exception("download log write failed rows=%s", len(rows))
            # Keep them for the next flush, within bounds: a database that
            # stays away must not exhaust the worker's memory.
            self.rows[:0] = rows[-100_000 + len(self.rows) :]
            self._flush_soon(self.every_seconds * 5)

    def _flush_soon(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(delay, self._start_flush)

    def _start_flush(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self.flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)


class DownloadFastPath:
    """ASGI middleware serving published PDFs; Django answers everything else."""

    def __init__(
        self,
        app: App,
        *,
        grant_seconds: float | None = None,
        cache_bytes: int | None = None,
        queue: DownloadQueue | None = None,
    ) -> None:
        self.app = app
        self.grant_seconds = float(
            settings.OSINT_DOWNLOAD_GRANT_SECONDS
            if grant_seconds is None
            else grant_seconds
        )
        self.cache_bytes = (
            settings.OSINT_DOWNLOAD_CACHE_MB * 1024 * 1024
            if cache_bytes is None
            else cache_bytes
        )
        self.queue = queue or DownloadQueue()
        self.grants: dict[tuple[bytes, int], Grant] = {}
        self._lookups: dict[tuple[bytes, int], asyncio.Future[Grant | None]] = {}
        self.bodies: OrderedDict[str, bytes] = OrderedDict()
        self._body_total = 0
        self._cookie_name = settings.SESSION_COOKIE_NAME.encode()
        self._ssl_redirect = bool(settings.SECURE_SSL_REDIRECT)
        self._site_headers = _site_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        match = (
            _PDF_PATH.match(scope["path"])
            if scope["type"] == "http" and scope["method"] in ("GET", "HEAD")
            else None
        )
        if match is None or (self._ssl_redirect and scope["scheme"] != "https"):
            await self.app(scope, receive, send)
            return

        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            if name in _WANTED:
                headers[name] = value
        session_key = self._session_key(headers.get(b"cookie", b""))
        grant = (
            await self._grant(session_key, int(match[1]))
            if session_key is not None
            else None
        )
        if grant is None or not await self._answer(scope, send, grant, headers):
            await self.app(scope, receive, send)

    async def _answer(
        self, scope: Scope, send: Send, grant: Grant, headers: dict[bytes, bytes]
    ) -> bool:
        """Send the answer; False when Django must answer instead."""
        method = scope["method"]
        conditional = (
            b"if-none-match" in headers or b"range" in headers or method == "HEAD"
        )
        if conditional:
            answer = pdf_answer(
                grant.file,
                method=method,
                if_none_match=headers.get(b"if-none-match", b"").decode("latin-1"),
                range_header=headers.get(b"range", b"").decode("latin-1"),
                if_range=headers.get(b"if-range", b"").decode("latin-1"),
            )
            status = answer.status
            answer_headers = _encoded(answer) + self._site_headers
            logged = answer.logged_range
            first, last = answer.first, answer.last
        else:
            status, answer_headers, logged = 200, grant.plain, ""
            first, last = 0, grant.file.size - 1

        body = b""
        if status in (200, 206) and method == "GET":
            data = await self._body(grant)
            if data is None:
                return False
            body = data if status == 200 else data[first : last + 1]
        elif status == 416:
            body = answer.text.encode()

        await send(
            {"type": "http.response.start", "status": status, "headers": answer_headers}
        )
        await send({"type": "http.response.body", "body": body})
        if logged is not None:
            self.queue.add(
                publication_id=grant.file.publication_id,
                user_id=grant.user_id,
                span=logged,
            )
        return True

    def _session_key(self, cookie: bytes) -> bytes | None:
        for part in cookie.split(b";"):
            name, _, value = part.strip().partition(b"=")
            if name == self._cookie_name:
                return value if _SESSION_KEY_SHAPE.match(value) else None
        return None

    async def _grant(self, session_key: bytes, report_id: int) -> Grant | None:
        key = (session_key, report_id)
        grant = self.grants.get(key)
        if grant is not None and grant.expires > time.monotonic():
            return grant
        # Many downloads of one session at once (a viewer fetching ranges, a
        # grant just expired under load) wait for one lookup, not one each.
        pending = self._lookups.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._look_up(key))
            self._lookups[key] = pending
            pending.add_done_callback(lambda _: self._lookups.pop(key, None))
        return await asyncio.shield(pending)

    async def _look_up(self, key: tuple[bytes, int]) -> Grant | None:
        session_key, report_id = key
        try:
            grant = await sync_to_async(download_grant)(
                session_key=session_key.decode(),
                report_id=report_id,
                ttl=self.grant_seconds,
                site_headers=self._site_headers,
            )
        except Exception:
            # Django's own path will meet the same fault and say what it is.
            logger.exception("download grant lookup failed report_id=%s", report_id)
            return None
        if grant is None or self.grant_seconds <= 0:
            self.grants.pop(key, None)
            return grant
        if len(self.grants) >= _MOST_GRANTS:
            self._forget_expired_grants()
        self.grants[key] = grant
        return grant

    def _forget_expired_grants(self) -> None:
        now = time.monotonic()
        self.grants = {k: g for k, g in self.grants.items() if g.expires > now}
        while len(self.grants) >= _MOST_GRANTS:  # all fresh: drop the oldest
            self.grants.pop(next(iter(self.grants)))

    async def _body(self, grant: Grant) -> bytes | None:
        sha = grant.file.sha256
        data = self.bodies.get(sha)
        if data is not None:
            self.bodies.move_to_end(sha)
            return data
        if grant.file.size > self.cache_bytes:
            return None
        data = await sync_to_async(pdf_bytes)(
            storage_name=grant.storage_name, sha256=sha
        )
        if data is None or sha in self.bodies:
            return data
        self.bodies[sha] = data
        self._body_total += len(data)
        while self._body_total > self.cache_bytes:
            _, dropped = self.bodies.popitem(last=False)
            self._body_total -= len(dropped)
        return data

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.queue.flush()
                await send({"type": "lifespan.shutdown.complete"})
                return
