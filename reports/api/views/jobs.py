"""Drafting jobs: ask for a machine draft, then follow it to its end."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from reports.api.filters import JobFilter
from reports.api.serializers import JobCreateSerializer, JobSerializer
from reports.api.views.base import DeskViewSet, given_data
from reports.errors import NotFound
from reports.jobs import draft_request
from reports.models import GenerationJob, Topic
from reports.roles import Capability


@extend_schema(tags=["jobs"])
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """One job per draft request: queued, running, succeeded or failed.

    Poll a job (GET /api/jobs/{id}/) for its progress; once it succeeded,
    `revision` names the draft it saved, and a failed job says why in `error`.
    """

    serializer_class = JobSerializer
    capabilities = {"read": Capability.READ_DESK, "create": Capability.REQUEST_DRAFT}
    filterset_class = JobFilter
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[GenerationJob]:
        return GenerationJob.objects.select_related("requested_by", "revision")

    @extend_schema(
        request=JobCreateSerializer,
        responses={202: JobSerializer},
        summary="Ask for a machine draft of a topic's report for a period",
        description=(
            "Creates the report when there is none for the period yet. While "
            "a job for that report is still queued or running, asking again "
            "answers that job rather than starting a second one."
        ),
    )
    def create(self, request: Request) -> Response:
        data = given_data(JobCreateSerializer, request)
        topic = Topic.objects.filter(slug=data["topic"]).first()
        if topic is None:
            raise NotFound(f"There is no topic “{data['topic']}”.")

        job = draft_request(
            topic=topic,
            period_start=data["period_start"],
            period_end=data["period_end"],
            actor=request.user,
            drafter=data["drafter"],
        )
        return Response(
            JobSerializer(self.get_queryset().get(pk=job.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )
