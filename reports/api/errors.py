"""One JSON shape for every error the API answers.

    {"error": {"code": "conflict", "message": "...", "details": {...}}}

`code` is stable and meant for programs; `message` is a sentence for people;
`details` is null or an object whose keys depend on the code (field errors,
rule problems, the latest revision's id, seconds to wait).

Domain errors of `reports.errors` map to HTTP here and nowhere else:

| error             | status | code               |
|-------------------|--------|--------------------|
| Forbidden         | 403    | forbidden          |
| NotFound          | 404    | not_found          |
| InvalidTransition | 409    | invalid_transition |
| Conflict          | 409    | conflict           |
| ValidationFailed  | 400    | invalid            |
| AnnotationRejected (feeds) | 400 | invalid        |
| FeedRejected (feeds)       | 400 | invalid        |

An invalid transition is a 409 rather than a 400: the request itself is
well formed, it is the report's current state that refuses it, and the same
request may succeed once the state changes.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from feeds.errors import AnnotationRejected, FeedRejected
from reports import errors

logger = logging.getLogger(__name__)

_DOMAIN_STATUS: dict[type[errors.DeskError], int] = {
    errors.Forbidden: status.HTTP_403_FORBIDDEN,
    errors.NotFound: status.HTTP_404_NOT_FOUND,
    errors.InvalidTransition: status.HTTP_409_CONFLICT,
    errors.Conflict: status.HTTP_409_CONFLICT,
    errors.ValidationFailed: status.HTTP_400_BAD_REQUEST,
}

# DRF's own exceptions, by class, to our stable codes. Subclasses not listed
# fall back to their `default_code`.
_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ValidationError: "invalid",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception becomes one error body."""
    response = _response_for(exc)
    if response.status_code >= 500:
        view = context.get("view")
        logger.error("api unexpected error view=%s", type(view).__name__, exc_info=exc)
    # A refused request must leave nothing half-written.
    set_rollback()
    return response


def _response_for(exc: Exception) -> Response:
    if isinstance(exc, errors.DeskError):
        return _domain_response(exc)
    if isinstance(exc, AnnotationRejected | FeedRejected):
        return Response(
            error_body("invalid", exc.message, {"problems": exc.problems}),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return _drf_response(exc)
    return Response(
        error_body(
            "server_error",
            "Something went wrong on our side; the request changed nothing.",
        ),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _domain_response(exc: errors.DeskError) -> Response:
    details: dict[str, Any] | None = None
    if isinstance(exc, errors.Conflict):
        details = {"latest_revision_id": exc.latest_revision_id}
    elif isinstance(exc, errors.ValidationFailed):
        details = {"problems": [str(p) for p in exc.problems]}
    status_code = next(
        (code for cls, code in _DOMAIN_STATUS.items() if isinstance(exc, cls)),
        status.HTTP_400_BAD_REQUEST,
    )
    return Response(error_body(exc.code, exc.message, details), status=status_code)


def _drf_response(exc: exceptions.APIException) -> Response:
    code = next(
        (code for cls, code in _DRF_CODES.items() if isinstance(exc, cls)),
        str(exc.default_code),
    )
    headers: dict[str, str] = {}
    details: Any = None

    if isinstance(exc, exceptions.ValidationError):
        message = "Some of the input is not valid; see details.fields."
        details = {"fields": _field_errors(exc.detail)}
    elif isinstance(exc, exceptions.Throttled):
        seconds = getattr(exc, "wait", None)
        wait = int(seconds) if seconds is not None else None
        message = "Too many requests; slow down and try again later."
        details = {"retry_after_seconds": wait}
        if wait is not None:
            headers["Retry-After"] = str(wait)
    else:
        message = _flatten(exc.detail)

    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    return Response(
        error_body(code, message, details), status=exc.status_code, headers=headers
    )


def _field_errors(detail: Any) -> dict[str, Any]:
    """Field errors as a mapping; errors not tied to a field go under `input`."""
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    return {"input": _plain(detail)}


def _plain(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(item) for item in detail]
    return str(detail)


def _flatten(detail: Any) -> str:
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    if isinstance(detail, dict):
        return " ".join(_flatten(value) for value in detail.values())
    return str(detail)


NOT_FOUND_URL_NAME = "not-found"


@csrf_exempt  # it changes nothing, so a refused CSRF check would only confuse
def api_not_found(request: HttpRequest, unmatched: str = "") -> JsonResponse:
    """The answer for any /api/ path no route matches, in the same shape."""
    message = f"There is no API endpoint at {request.path}."
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != NOT_FOUND_URL_NAME:
            message += f" Did you mean {request.path}/ ?"
    message += " The endpoints are listed at /api/docs/."
    return JsonResponse(error_body("not_found", message), status=404)


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="A stable code for programs.")
    message = serializers.CharField(help_text="What went wrong, for people.")
    details = serializers.JSONField(
        allow_null=True,
        help_text=(
            "Null, or more about the error: `fields` (invalid input by "
            "field), `problems` (rules the content breaks), "
            "`latest_revision_id` (on a conflict), `retry_after_seconds`."
        ),
    )


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()
