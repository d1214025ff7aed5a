"""WeasyPrint, fenced in: HTML to PDF with access to the desk's static files only.

Kept apart from `reports.rendering` because importing WeasyPrint costs
seconds; only the processes that really make a PDF pay for it.
"""

import logging
import mimetypes
import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Documents are rendered against a host that cannot exist, so every URL they
# name is either one of ours under /static/ or refused.
PDF_BASE_URL = "https://osint-desk.invalid/"
_STATIC_PREFIX = "/static/"


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint fetcher that can only read the project's static files.

    Any other URL (another host, file:, data:, a path outside the static
    directories) is refused and recorded in `refused`; WeasyPrint then draws
    the document without that resource.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=["https"], allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self._static_path(url)
        if path is None:
            self.refused.append(url)
            logger.warning("pdf fetch refused url=%s", url[:200])
            raise ValueError(f"The PDF may only use the desk's own files: {url}")
        mime, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(
            url,
            body=path.read_bytes(),
            headers={"Content-Type": mime or "application/octet-stream"},
        )

    @staticmethod
    def _static_path(url: str) -> Path | None:
        parts = urlsplit(url)
        base = urlsplit(PDF_BASE_URL)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
            return None
        if not parts.path.startswith(_STATIC_PREFIX):
            return None
        relative = posixpath.normpath(unquote(parts.path[len(_STATIC_PREFIX) :]))
        if relative.startswith((".", "/")) or "\x00" in relative:
            return None
        found = finders.find(relative)
        if not found or isinstance(found, list):
            return None
        return Path(found)


def pdf_render(html: str, *, fetcher: StaticOnlyFetcher | None = None) -> bytes:
    """WeasyPrint on `html`, able to reach the project's static files only."""
    pdf = HTML(
        string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher or StaticOnlyFetcher()
    ).write_pdf()
    assert pdf is not None  # write_pdf() returns bytes when given no target
    return bytes(pdf)
