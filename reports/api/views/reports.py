"""Reports and their history: the workflow actions, saves, revisions,
diffs, review comments and the audit log.

Every write here is one call of a domain function (`reports.workflow`,
`reports.revisions`, `reports.review`); what they refuse comes back as a
`reports.errors` exception, which `reports.api.errors` turns into HTTP.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from reports import diffing, review, revisions, workflow
from reports.api.filters import (
    AuditFilter,
    AuditLogFilter,
    CommentFilter,
    ReportFilter,
    RevisionFilter,
)
from reports.api.pagination import AuditCursorPagination
from reports.api.schema import CONFLICT
from reports.api.serializers import (
    ApproveSerializer,
    AuditEventSerializer,
    CommentCreateSerializer,
    CommentSerializer,
    DiffSerializer,
    JobSerializer,
    PublicationSerializer,
    ReasonSerializer,
    ReportSerializer,
    RevisionSaveSerializer,
    RevisionSerializer,
    RevisionSummarySerializer,
)
from reports.api.views.base import DeskViewSet, by_id, given_data
from reports.models import AuditEvent, GenerationJob, Report, ReviewComment, Revision
from reports.publishing import visible_publications
from reports.roles import Capability, can


def visible_reports(user: Any) -> QuerySet[Report]:
    """Desk members see every report; readers those with a publication they
    may download (`reports.publishing.visible_publications`), as the portal.

    Any other report does not exist for a reader: 404, like an unknown id.
    """
    if can(user, Capability.READ_DESK):
        return Report.objects.all()
    return Report.objects.filter(pk__in=visible_publications(user).values("report_id"))


@extend_schema(tags=["reports"])
class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """Reports by topic and period, with their state and the actions open to you.

    Subscribers see only reports with a publication out (a report being
    corrected stays visible through its earlier PDF). Workflow actions are
    POSTs on a report; each answers the report as it now is.
    """

    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    ordering_fields = ["period_start", "period_end", "created_at", "updated_at"]
    ordering = ["-period_end", "topic__name", "id"]
    capabilities = {
        "read": Capability.READ_PUBLISHED,
        "save": Capability.EDIT_REPORT,
        "submit": Capability.RUN_WORKFLOW,
        "request_changes": Capability.RUN_WORKFLOW,
        "approve": Capability.RUN_WORKFLOW,
        "publish": Capability.RUN_WORKFLOW,
        "withdraw": Capability.RUN_WORKFLOW,
        "redraft": Capability.REQUEST_DRAFT,
        "diff": Capability.READ_DESK,
    }

    def get_queryset(self) -> QuerySet[Report]:
        return visible_reports(self.request.user).select_related(
            "topic", "approved_by", "latest_revision"
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        context["allowed_actions"] = self._allowed_actions()
        return context

    def _allowed_actions(self) -> Callable[[Report], list[str]]:
        user = self.request.user

        def allowed(report: Report) -> list[str]:
            return workflow.allowed_actions(report=report, user=user)

        return allowed

    def _report_answer(self, report: Report) -> Response:
        fresh = self.get_queryset().filter(pk=report.pk).first() or report
        return Response(self.get_serializer(fresh).data)

    # --- saving -------------------------------------------------------------

    @extend_schema(
        request=RevisionSaveSerializer,
        responses={201: RevisionSerializer, 409: CONFLICT},
        summary="Save an edit as a new revision",
        description=(
            "Carries the revision the edit was based on. If another save "
            "landed since, nothing is saved and the answer is 409 with "
            "`details.latest_revision_id`. Content that breaks the schema is "
            "400 with `details.problems`; citation problems save but block "
            "approval."
        ),
    )
    @action(detail=True, methods=["post"])
    def save(self, request: Request, pk: str) -> Response:
        data = given_data(RevisionSaveSerializer, request)
        revision = revisions.revision_save(
            report=self.get_object(),
            actor=request.user,
            base_revision_id=data["base_revision_id"],
            content=data["content"],
            note=data["note"],
        )
        return Response(
            RevisionSerializer(revision).data, status=status.HTTP_201_CREATED
        )

    # --- workflow -------------------------------------------------------------

    @extend_schema(
        request=None,
        responses={200: ReportSerializer, 409: CONFLICT},
        summary="Submit a draft for review",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        report = workflow.report_submit(report=self.get_object(), actor=request.user)
        return self._report_answer(report)

    @extend_schema(
        request=ReasonSerializer,
        responses={200: ReportSerializer, 409: CONFLICT},
        summary="Send a report in review (or approved) back to draft",
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request: Request, pk: str) -> Response:
        data = given_data(ReasonSerializer, request)
        report = workflow.report_request_changes(
            report=self.get_object(), actor=request.user, reason=data["reason"]
        )
        return self._report_answer(report)

    @extend_schema(
        request=ApproveSerializer,
        responses={200: ReportSerializer, 409: CONFLICT},
        summary="Approve one exact revision (the latest)",
        description=(
            "Refused with 409 when `revision_id` is no longer the latest, and "
            "with 400 and `details.problems` when the revision breaks a rule "
            "(uncited items, excluded sources, no threat level, four eyes)."
        ),
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        data = given_data(ApproveSerializer, request)
        report = workflow.report_approve(
            report=self.get_object(), actor=request.user, revision=data["revision_id"]
        )
        return self._report_answer(report)

    @extend_schema(
        request=None,
        responses={201: PublicationSerializer, 409: CONFLICT},
        summary="Publish the approved revision as a PDF",
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        publication = workflow.report_publish(
            report=self.get_object(), actor=request.user
        )
        return Response(
            PublicationSerializer(publication, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=ReasonSerializer,
        responses={200: ReportSerializer, 409: CONFLICT},
        summary="Withdraw a published report",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        data = given_data(ReasonSerializer, request)
        report = workflow.report_withdraw(
            report=self.get_object(), actor=request.user, reason=data["reason"]
        )
        return self._report_answer(report)

    @extend_schema(
        request=None,
        responses={202: JobSerializer, 409: CONFLICT},
        summary="Ask for a new machine draft of this report",
        description=(
            "Answers the drafting job; follow it at /api/jobs/{id}/. A "
            "withdrawn report gets no new drafts (409)."
        ),
    )
    @action(detail=True, methods=["post"])
    def redraft(self, request: Request, pk: str) -> Response:
        job = workflow.report_redraft(report=self.get_object(), actor=request.user)
        job = GenerationJob.objects.select_related("requested_by", "revision").get(
            pk=job.pk
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    # --- history --------------------------------------------------------------

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.INT64,
                description=(
                    "Id of the older revision; by default the newer one's "
                    "parent. Ignored with `compare`."
                ),
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.INT64,
                description="Id of the newer revision; by default the latest.",
            ),
            OpenApiParameter(
                "compare",
                OpenApiTypes.STR,
                enum=["machine_draft", "last_published"],
                description=(
                    "Compare `to` with the latest machine draft (what editors "
                    "changed) or with the last published revision of the topic."
                ),
            ),
        ],
        responses={200: DiffSerializer},
        summary="What changed between two revisions",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def diff(self, request: Request, pk: str) -> Response:
        report = self.get_object()
        params = _DiffParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        wanted = params.validated_data

        revisions_of_report = Revision.objects.filter(report=report)
        new = (
            by_id(Revision, wanted["to"], what="revision", queryset=revisions_of_report)
            if wanted.get("to")
            else report.latest_revision
        )
        if new is None:
            raise NotFound("This report has no revision yet.")

        old = self._older(report, new, wanted)
        if old is None:
            raise NotFound("There is no earlier revision to compare with.")
        diff = diffing.revision_diff(old=old, new=new)
        return Response(DiffSerializer(diff).data)

    def _older(
        self, report: Report, new: Revision, wanted: dict[str, Any]
    ) -> Revision | None:
        compare = wanted.get("compare")
        if compare == "machine_draft":
            return diffing.machine_draft_of(report)
        if compare == "last_published":
            return diffing.last_published_revision(report=report, excluding=new)
        if wanted.get("from"):
            return by_id(
                Revision,
                wanted["from"],
                what="revision",
                queryset=Revision.objects.filter(report=report),
            )
        return new.parent


class _DiffParams(serializers.Serializer[Any]):
    to = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    compare = serializers.ChoiceField(
        choices=["machine_draft", "last_published"], required=False
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # "from" is a keyword in Python, so it cannot be declared as a name.
        fields["from"] = serializers.IntegerField(
            min_value=1, max_value=2**63 - 1, required=False
        )
        return fields


@extend_schema(tags=["reports"])
class AuditViewSet(mixins.ListModelMixin, DeskViewSet):
    """The audit log of one report, newest first: every save and transition."""

    serializer_class = AuditEventSerializer
    capabilities = {"read": Capability.READ_DESK}
    filterset_class = AuditFilter
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AuditEvent.objects.none()
        report = by_id(
            Report,
            int(self.kwargs["report_pk"]),
            what="report",
            queryset=visible_reports(self.request.user),
        )
        return (
            AuditEvent.objects.filter(report=report)
            .select_related("actor")
            .order_by("-created_at", "-id")
        )


@extend_schema(tags=["audit"])
class AuditLogViewSet(mixins.ListModelMixin, DeskViewSet):
    """The whole audit log, newest first: the events of every report, and
    those that name none (feeds, topics, annotations made outside a report).
    """

    serializer_class = AuditEventSerializer
    capabilities = {"read": Capability.READ_DESK}
    filterset_class = AuditLogFilter
    filter_backends = [DjangoFilterBackend]
    pagination_class = AuditCursorPagination

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.select_related("actor")


@extend_schema(tags=["revisions"])
class RevisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """Immutable snapshots of report content. Lists leave the content out."""

    capabilities = {"read": Capability.READ_DESK}
    filterset_class = RevisionFilter
    ordering_fields = ["number", "created_at"]
    ordering = ["report", "number"]

    def get_queryset(self) -> QuerySet[Revision]:
        revisions = Revision.objects.select_related("author")
        if self.action == "list":
            return revisions.defer("content")
        return revisions

    def get_serializer_class(self) -> type[RevisionSummarySerializer]:
        if self.action == "list":
            return RevisionSummarySerializer
        return RevisionSerializer


@extend_schema(tags=["comments"])
class CommentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """Review comments on sections of a revision, with answers and resolution."""

    serializer_class = CommentSerializer
    capabilities = {
        "read": Capability.READ_DESK,
        "create": Capability.COMMENT,
        "resolve": Capability.COMMENT,
    }
    filterset_class = CommentFilter
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]

    def get_queryset(self) -> QuerySet[ReviewComment]:
        return ReviewComment.objects.select_related("revision", "author", "resolved_by")

    @extend_schema(
        request=CommentCreateSerializer,
        responses={201: CommentSerializer},
        summary="Comment on a section of a revision, or answer a comment",
    )
    def create(self, request: Request) -> Response:
        data = given_data(CommentCreateSerializer, request)
        revision = by_id(Revision, data["revision"], what="revision")
        parent = (
            by_id(ReviewComment, data["parent"], what="comment")
            if data["parent"]
            else None
        )
        comment = review.comment_add(
            revision=revision,
            actor=request.user,
            section=data["section"],
            text=data["text"],
            parent=parent,
        )
        return Response(
            CommentSerializer(self.get_queryset().get(pk=comment.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=None,
        responses={200: CommentSerializer},
        summary="Resolve a comment's thread",
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str) -> Response:
        root = review.comment_resolve(comment=self.get_object(), actor=request.user)
        return Response(CommentSerializer(self.get_queryset().get(pk=root.pk)).data)
