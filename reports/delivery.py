"""How a published PDF is answered over HTTP: validators, ranges, headers.

One set of rules for both doors a PDF leaves by, the portal's Django view
(`reports.portal`) and the download fast path (`reports.fastpath`), so the two
can never disagree on a status, a header or what a download log records.
Nothing here touches the database or the file: callers bring the file's
facts and the request's headers, and send the bytes the answer names.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.http import (
    content_disposition_header,
    http_date,
    parse_etags,
    quote_etag,
)

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class PdfFile:
    """What the answer needs to know of one publication's stored PDF."""

    publication_id: int
    sha256: str
    size: int
    published_at: dt.datetime
    filename: str


@dataclass(frozen=True)
class PdfAnswer:
    """The status, headers and byte span to send.

    `first` and `last` are inclusive offsets into the file (only for 200 and
    206). `logged_range` is what the download log records: "" for the whole
    file, "bytes=a-b" for a piece, None when the answer is not a download
    (a HEAD, a revalidation, a refused range).
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    first: int = 0
    last: int = -1
    logged_range: str | None = None
    text: str = ""

    @property
    def length(self) -> int:
        return self.last - self.first + 1 if self.status in (200, 206) else 0


class _Unsatisfiable(Exception):
    pass


def pdf_answer(
    file: PdfFile,
    *,
    method: str,
    if_none_match: str = "",
    range_header: str = "",
    if_range: str = "",
) -> PdfAnswer:
    """The answer to a GET or HEAD of `file` with the given request headers."""
    etag = quote_etag(file.sha256)
    validators = (
        ("ETag", etag),
        ("Last-Modified", http_date(file.published_at.timestamp())),
        ("Accept-Ranges", "bytes"),
        ("Cache-Control", "private, max-age=0, must-revalidate"),
        ("X-Content-Type-Options", "nosniff"),
    )
    if if_none_match and _etag_matches(if_none_match, etag):
        return PdfAnswer(status=304, headers=validators)

    wanted: tuple[int, int] | None = None
    # A client whose copy is out of date (If-Range names another version)
    # gets the whole new file rather than a piece of it.
    if range_header and (not if_range or if_range.strip() == etag):
        try:
            wanted = _byte_range(range_header, file.size)
        except _Unsatisfiable:
            return PdfAnswer(
                status=416,
                headers=(
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Range", f"bytes */{file.size}"),
                    ("ETag", etag),
                ),
                text="The requested range lies outside the file.",
            )

    first, last = wanted if wanted is not None else (0, file.size - 1)
    headers = [
        ("Content-Type", "application/pdf"),
        ("Content-Length", str(last - first + 1)),
        ("Content-Disposition", content_disposition_header(True, file.filename)),
        *validators,
    ]
    if wanted is not None:
        headers.append(("Content-Range", f"bytes {first}-{last}/{file.size}"))
    logged = None if method == "HEAD" else (f"bytes={first}-{last}" if wanted else "")
    return PdfAnswer(
        status=206 if wanted is not None else 200,
        headers=tuple(headers),
        first=first,
        last=last,
        logged_range=logged,
    )


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """The one range asked for as (first, last), inclusive; None to send all.

    Several ranges, or a header that is not a byte range, are answered with
    the whole file, as HTTP allows; a range wholly past the end is refused.
    """
    match = _RANGE.match(header.strip().replace(" ", ""))
    if not match or (not match[1] and not match[2]):
        return None
    if not match[1]:
        suffix = int(match[2])
        if suffix == 0:
            raise _Unsatisfiable
        return max(size - suffix, 0), size - 1
    first = int(match[1])
    if match[2] and int(match[2]) < first:
        return None
    if first >= size:
        raise _Unsatisfiable
    last = int(match[2]) if match[2] else size - 1
    return first, min(last, size - 1)


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    wanted = etag.strip('"')
    return any(
        tag.removeprefix("W/").strip('"') == wanted for tag in parse_etags(header)
    )
