"""Publications: the PDFs subscribers receive, as metadata and as bytes."""

import logging
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from reports.api.filters import PublicationFilter
from reports.api.serializers import PublicationSerializer
from reports.api.views.base import DeskViewSet
from reports.downloads import pdf_response
from reports.models import Publication
from reports.publishing import visible_publications
from reports.roles import Capability

logger = logging.getLogger(__name__)


class PdfRenderer(BaseRenderer):
    """Lets clients ask for `Accept: application/pdf`; the view sends bytes."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, *args: Any, **kwargs: Any) -> bytes:
        return data if isinstance(data, bytes) else b""


@extend_schema(tags=["publications"])
class PublicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """Every publication of a report stays listed; a correction supersedes."""

    serializer_class = PublicationSerializer
    capabilities = {"read": Capability.READ_PUBLISHED}
    filterset_class = PublicationFilter
    ordering_fields = ["published_at"]
    ordering = ["-published_at", "-id"]

    def get_queryset(self) -> QuerySet[Publication]:
        later = Publication.objects.filter(
            report_id=OuterRef("report_id"), published_at__gt=OuterRef("published_at")
        )
        return (
            visible_publications(self.request.user)
            .select_related("published_by", "report__topic", "revision")
            .annotate(superseded=Exists(later))
        )

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF exactly as published."
            ),
            304: OpenApiResponse(description="Unchanged since the ETag you sent."),
        },
        summary="Download the PDF",
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[JSONRenderer, PdfRenderer],
        filter_backends=[],
    )
    def pdf(self, request: Request, pk: str) -> HttpResponseBase:
        publication = self.get_object()
        # The portal's rules (validators, ranges, the download log) hold here
        # too; programs are readers like any other.
        return pdf_response(
            request, publication, current=not publication.superseded, stream=False
        )

    def finalize_response(  # type: ignore[override]
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        # Errors are JSON even when the client asked for a PDF.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(
            request,
            response,  # type: ignore[arg-type]
            *args,
            **kwargs,
        )
