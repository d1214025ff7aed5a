"""Query-string filters of the lists: by topic, feed, state and period.

Ids are plain numbers (an unknown id simply matches nothing), dates are ISO
8601, and a value that cannot be read is a 400 naming the parameter.
"""

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from feeds.models import Annotation, Article, Feed
from reports.models import (
    AuditEvent,
    GenerationJob,
    Publication,
    Report,
    ReviewComment,
    Revision,
)

_MAX_ID = 2**63 - 1


@extend_schema_field(OpenApiTypes.INT64)
class IdFilter(filters.NumberFilter):
    """A row id: a whole number (NumberFilter alone would take 1.5)."""

    field_class = forms.IntegerField


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, turned into UTC before it reaches the database.

    Python accepts UTC offsets up to a day; PostgreSQL refuses those beyond
    about sixteen hours, so any offset is resolved here instead.
    """

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise ValidationError(
                "This time lies outside the years 1 to 9999.", code="invalid"
            ) from None


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def _id_filter(field_name: str, help_text: str) -> IdFilter:
    return IdFilter(
        field_name=field_name,
        min_value=1,
        max_value=_MAX_ID,
        help_text=help_text,
    )


class FeedFilter(filters.FilterSet):
    topic = _id_filter("topics", "Feeds a topic draws on.")
    state = filters.ChoiceFilter(choices=Feed.State.choices)
    enabled = filters.BooleanFilter()
    reliability = filters.ChoiceFilter(choices=Feed.Reliability.choices)

    class Meta:
        model = Feed
        fields = ["topic", "state", "enabled", "reliability"]


class ArticleFilter(filters.FilterSet):
    topic = _id_filter("topic_matches__topic", "Articles matched to a topic.")
    feed = _id_filter("feed", "Articles of one feed.")
    cluster = _id_filter("cluster", "Articles of one story cluster.")
    published_after = UtcDateTimeFilter(
        field_name="published_at",
        lookup_expr="gte",
        help_text="Published at or after this time (ISO 8601).",
    )
    published_before = UtcDateTimeFilter(
        field_name="published_at",
        lookup_expr="lt",
        help_text="Published before this time (ISO 8601).",
    )

    class Meta:
        model = Article
        fields = ["topic", "feed", "cluster", "published_after", "published_before"]


class AnnotationFilter(filters.FilterSet):
    article = _id_filter("article", "Annotations of one article.")
    excluded = filters.BooleanFilter()

    class Meta:
        model = Annotation
        fields = ["article", "excluded"]


class _PeriodFilter(filters.FilterSet):
    period_after = filters.DateFilter(
        field_name="period_end",
        lookup_expr="gte",
        help_text="Periods ending on or after this date.",
    )
    period_before = filters.DateFilter(
        field_name="period_start",
        lookup_expr="lte",
        help_text="Periods starting on or before this date.",
    )


class ReportFilter(_PeriodFilter):
    topic = _id_filter("topic", "Reports on one topic.")
    state = filters.ChoiceFilter(choices=Report.State.choices)

    class Meta:
        model = Report
        fields = ["topic", "state", "period_after", "period_before"]


class JobFilter(_PeriodFilter):
    topic = _id_filter("topic", "Jobs for one topic.")
    report = _id_filter("report", "Jobs of one report.")
    state = filters.ChoiceFilter(choices=GenerationJob.State.choices)

    class Meta:
        model = GenerationJob
        fields = ["topic", "report", "state", "period_after", "period_before"]


class RevisionFilter(filters.FilterSet):
    report = _id_filter("report", "Revisions of one report.")
    origin = filters.ChoiceFilter(choices=Revision.Origin.choices)

    class Meta:
        model = Revision
        fields = ["report", "origin"]


class CommentFilter(filters.FilterSet):
    report = _id_filter("revision__report", "Comments on any revision of a report.")
    revision = _id_filter("revision", "Comments on one revision.")
    section = filters.CharFilter(max_length=100)
    resolved = filters.BooleanFilter()

    class Meta:
        model = ReviewComment
        fields = ["report", "revision", "section", "resolved"]


class PublicationFilter(filters.FilterSet):
    report = _id_filter("report", "Publications of one report.")
    topic = _id_filter("report__topic", "Publications on one topic.")

    class Meta:
        model = Publication
        fields = ["report", "topic"]


class AuditFilter(filters.FilterSet):
    action = filters.CharFilter(max_length=40)

    class Meta:
        model = AuditEvent
        fields = ["action"]


class AuditLogFilter(AuditFilter):
    report = _id_filter("report", "Events of one report.")
    without_report = filters.BooleanFilter(
        field_name="report",
        lookup_expr="isnull",
        help_text="Only the events that name no report (feeds, topics, "
        "annotations made outside a report), or only those that name one.",
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "report", "without_report"]
