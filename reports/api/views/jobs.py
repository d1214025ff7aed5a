"""Drafting jobs: ask for a machine draft, then follow it to its end."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins

from reports.api.filters import JobFilter
from reports.api.serializers import JobSerializer
from reports.api.views.base import DeskViewSet
from reports.models import GenerationJob
from reports.roles import Capability


@extend_schema(tags=["jobs"])
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """One job per draft request: queued, running, succeeded or failed."""

    serializer_class = JobSerializer
    capabilities = {"read": Capability.READ_DESK, "create": Capability.REQUEST_DRAFT}
    filterset_class = JobFilter
    ordering_fields = ["created_at", "finished_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[GenerationJob]:
        return GenerationJob.objects.select_related("requested_by", "revision")
