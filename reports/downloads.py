"""Django responses for PDF downloads, shared by the portal and the API.

The HTTP rules live in `reports.delivery`; this module only turns an answer
into a Django response, sends the file (by sendfile where the server can)
and logs the download.
"""

from collections.abc import Mapping
from typing import Any, Protocol

from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase

from reports.delivery import pdf_answer
from reports.errors import NotFound
from reports.models import Publication
from reports.publishing import (
    download_log,
    pdf_file,
    publication_open,
    publication_path,
)


class Asking(Protocol):
    """A Django or a DRF request: what the answer reads of either."""

    @property
    def method(self) -> str | None: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def user(self) -> Any: ...


def pdf_response(
    request: Asking, publication: Publication, *, current: bool, stream: bool = True
) -> HttpResponseBase:
    """The answer to a GET or HEAD of the publication's PDF, logged.

    `stream=False` always answers with the bytes in the response (the API's
    clients read `content`); otherwise a whole local file goes by sendfile.
    """
    answer = pdf_answer(
        pdf_file(publication, current=current),
        method=request.method or "GET",
        if_none_match=request.headers.get("If-None-Match", ""),
        range_header=request.headers.get("Range", ""),
        if_range=request.headers.get("If-Range", ""),
    )
    response: HttpResponseBase
    # Under WSGI a local file goes by sendfile; under ASGI (where the fast
    # path sends most downloads) Django cannot stream a file without a
    # thread per chunk, and a PDF is small enough to send from memory.
    django_request = getattr(request, "_request", request)  # DRF wraps it
    asgi = isinstance(django_request, ASGIRequest)
    path = publication_path(publication) if stream and not asgi else None
    if answer.status == 200 and path is not None:
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise NotFound("The PDF of this publication is missing.") from None
        response = FileResponse(handle)
    elif answer.status in (200, 206):
        with publication_open(publication) as stored:
            stored.seek(answer.first)
            response = HttpResponse(stored.read(answer.length), status=answer.status)
    else:
        response = HttpResponse(answer.text, status=answer.status)
    for key, value in answer.headers:
        response[key] = value
    if answer.logged_range is not None:
        user = request.user if request.user.is_authenticated else None
        download_log(publication=publication, user=user, span=answer.logged_range)
    return response
