"""What the OpenAPI document says beyond what views and serializers show.

Every operation documents the errors it can really answer, each in the one
error shape of `reports.api.errors`; views add their own (409 on workflow
actions) with `@extend_schema(responses=...)`.
"""

from typing import Any, Literal

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse

from reports.api.errors import ErrorSerializer
from reports.content import ReportContent


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


BAD_REQUEST = error_response(
    "The input is malformed or not valid (codes malformed_request, invalid)."
)
UNAUTHENTICATED = error_response(
    "No valid session or bearer token (codes not_authenticated, authentication_failed)."
)
FORBIDDEN = error_response("Your role does not allow this action (forbidden).")
NOT_FOUND = error_response("No such object, or it is not visible to you (not_found).")
CONFLICT = error_response(
    "The report's state does not allow this action (invalid_transition), or "
    "the save was based on a revision that is no longer the latest (conflict; "
    "details.latest_revision_id names the latest)."
)
UNSUPPORTED_MEDIA = error_response(
    "The request body is not JSON (code unsupported_media_type)."
)
THROTTLED = error_response(
    "Too many requests (throttled); the Retry-After header and "
    "details.retry_after_seconds say how long to wait."
)


class ContentFieldSchema(OpenApiSerializerFieldExtension):
    """Documents every content field as one `ReportContent` component."""

    target_class = "reports.api.serializers.ContentField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        component = ResolvedComponent(
            name="ReportContent",
            type=ResolvedComponent.SCHEMA,
            object="ReportContent",
            schema=content_json_schema(),
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


class DeskAutoSchema(AutoSchema):
    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    response, code, direction=direction
                )
        return responses

    def _error_responses(self) -> dict[str, OpenApiResponse]:
        # 404 everywhere: an id in the path or the body that names nothing
        # visible, or a page or cursor past the end of a list.
        errors = {
            "401": UNAUTHENTICATED,
            "403": FORBIDDEN,
            "404": NOT_FOUND,
            "429": THROTTLED,
        }
        if self.method in ("POST", "PUT", "PATCH"):
            errors["400"] = BAD_REQUEST
            errors["415"] = UNSUPPORTED_MEDIA
        elif self.method == "GET" and (
            self._is_list_view() or self.get_override_parameters()
        ):
            errors["400"] = BAD_REQUEST
        return errors


def content_json_schema() -> dict[str, Any]:
    """The report content schema of `reports.content`, as OpenAPI 3.0 has it.

    Pydantic writes JSON Schema 2020-12; OpenAPI 3.0 knows neither `const`
    nor `$defs`, so sub-models are inlined and constants become enums.
    """
    raw = ReportContent.model_json_schema(ref_template="{model}")
    definitions = raw.pop("$defs", {})

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return convert(definitions[node["$ref"]])
        converted = {
            key: convert(value) for key, value in node.items() if key != "title"
        }
        if "const" in converted:
            converted["enum"] = [converted.pop("const")]
        return converted

    schema: dict[str, Any] = convert(raw)
    schema["description"] = (
        "One revision's content. Text is trimmed of surrounding spaces before "
        "it is checked, so a title of only spaces is refused as empty."
    )
    return schema
