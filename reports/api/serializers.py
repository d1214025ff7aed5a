"""How the desk's rows look on the wire, and what clients may send.

Output serializers are read-only views of rows the querysets of `views/`
load with everything they show (no query per row). Input serializers only
check the shape of a request; the rules belong to the domain functions they
feed.
"""

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from feeds.annotations import admiralty_code
from feeds.models import Annotation, Article, Feed, Tlp
from feeds.registry import MAX_POLL_INTERVAL, MIN_POLL_INTERVAL
from reports.diffing import ChangeKind
from reports.models import (
    AccessToken,
    AuditEvent,
    GenerationJob,
    Publication,
    Report,
    ReviewComment,
    Revision,
    Topic,
)
from reports.topics import MAX_CADENCE_DAYS


def _username(source: str, help_text: str) -> serializers.CharField:
    return serializers.CharField(
        source=f"{source}.username",
        read_only=True,
        allow_null=True,
        help_text=help_text,
    )


# --- Tokens -----------------------------------------------------------------


class TokenSerializer(serializers.ModelSerializer[AccessToken]):
    class Meta:
        model = AccessToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = fields


class TokenCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="A label to recognise the token by, e.g. the program using it.",
    )


class TokenIssuedSerializer(TokenSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The token itself. Shown this once; only a hash is kept.",
    )

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "secret"]
        read_only_fields = fields


# --- Topics, feeds, articles, annotations ------------------------------------


class TopicSerializer(serializers.ModelSerializer[Topic]):
    feeds = serializers.PrimaryKeyRelatedField[Feed](many=True, read_only=True)
    followed = serializers.SerializerMethodField(
        help_text="Whether you follow the topic (an e-mail per publication)."
    )

    class Meta:
        model = Topic
        fields = [
            "id",
            "name",
            "slug",
            "country_code",
            "aliases",
            "keywords",
            "area_south",
            "area_west",
            "area_north",
            "area_east",
            "feeds",
            "cadence_days",
            "drafting_enabled",
            "default_tlp",
            "created_at",
            "followed",
        ]
        read_only_fields = fields

    def get_followed(self, topic: Topic) -> bool:
        return topic.pk in self.context.get("followed", set())


def _maybe_url(help_text: str) -> serializers.CharField:
    # Blank when the source gave none, which a `format: uri` would not allow.
    return serializers.CharField(read_only=True, help_text=f"{help_text}, or empty.")


class FeedSerializer(serializers.ModelSerializer[Feed]):
    site = _maybe_url("The outlet's home page")

    class Meta:
        model = Feed
        fields = [
            "id",
            "url",
            "title",
            "site",
            "reliability",
            "default_tlp",
            "enabled",
            "state",
            "poll_interval",
            "next_check_at",
            "last_checked_at",
            "last_success_at",
            "consecutive_errors",
            "last_error",
            "created_at",
        ]
        read_only_fields = fields


class FeedCreateSerializer(serializers.Serializer[Any]):
    url = serializers.CharField(
        max_length=2000, help_text="The RSS or Atom address, http:// or https://."
    )
    title = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default=""
    )
    site = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="The outlet's home page, or empty.",
    )
    reliability = serializers.ChoiceField(
        choices=Feed.Reliability.choices,
        default=Feed.Reliability.F,
        help_text="Admiralty source reliability, A (completely reliable) to F.",
    )
    default_tlp = serializers.ChoiceField(choices=Tlp.choices, default=Tlp.CLEAR)
    poll_interval = serializers.IntegerField(
        min_value=MIN_POLL_INTERVAL,
        max_value=MAX_POLL_INTERVAL,
        default=3600,
        help_text="Seconds between checks while the feed is healthy.",
    )


class FeedUpdateSerializer(serializers.Serializer[Any]):
    """Only the fields sent are changed."""

    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    site = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    reliability = serializers.ChoiceField(
        choices=Feed.Reliability.choices, required=False
    )
    default_tlp = serializers.ChoiceField(choices=Tlp.choices, required=False)
    enabled = serializers.BooleanField(
        required=False,
        help_text="Enabling checks the feed at once, its health starting afresh.",
    )


_TERMS_HELP = "Words or phrases, each non-empty, matched in articles."


def _terms_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=200),
        max_length=500,
        help_text=_TERMS_HELP,
        **kwargs,
    )


def _degrees(limit: int, **kwargs: Any) -> serializers.FloatField:
    return serializers.FloatField(min_value=-limit, max_value=limit, **kwargs)


class TopicCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(
        max_length=100, help_text="Lower-case letters, digits and hyphens; unique."
    )
    country_code = serializers.CharField(
        max_length=2, required=False, allow_blank=True, default=""
    )
    aliases = _terms_field(required=False, default=list)
    keywords = _terms_field(required=False, default=list)
    area_south = _degrees(90, default=-90)
    area_west = _degrees(180, default=-180)
    area_north = _degrees(90, default=90)
    area_east = _degrees(180, default=180)
    feeds = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        help_text="Ids of the feeds the topic draws on.",
    )
    cadence_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_CADENCE_DAYS,
        default=7,
        help_text="Length of one analysis period, in days.",
    )
    drafting_enabled = serializers.BooleanField(default=True)
    default_tlp = serializers.ChoiceField(choices=Tlp.choices, default=Tlp.CLEAR)


class TopicUpdateSerializer(TopicCreateSerializer):
    """Only the fields sent are changed; the area is checked as a whole."""

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
            field.default = serializers.empty
        return fields


class AnnotationSerializer(serializers.ModelSerializer[Annotation]):
    analyst = _username("analyst", "Who judged the article.")

    class Meta:
        model = Annotation
        fields = [
            "id",
            "article",
            "analyst",
            "credibility",
            "relevance",
            "note",
            "excluded",
            "created_at",
        ]
        read_only_fields = fields


class AnnotationCreateSerializer(serializers.Serializer[Any]):
    report = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text=(
            "When judging from a report: the article must be one of its "
            "sources, and the report's audit log records the judgement."
        ),
    )
    article = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    credibility = serializers.ChoiceField(
        choices=Annotation.Credibility.choices,
        help_text="Admiralty information credibility, 1 (confirmed) to 6.",
    )
    relevance = serializers.ChoiceField(
        choices=Annotation.Relevance.choices, default=Annotation.Relevance.MEDIUM
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    excluded = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Keep this article out of every report.",
    )


class ArticleSerializer(serializers.ModelSerializer[Article]):
    url = _maybe_url("The link the feed gave")
    canonical_url = _maybe_url("The link without tracking parameters")
    feed_title = serializers.CharField(source="feed.title", read_only=True)
    feed_reliability = serializers.CharField(source="feed.reliability", read_only=True)
    topics = serializers.SerializerMethodField(
        help_text="Ids of the topics the article was matched to."
    )
    annotations = AnnotationSerializer(
        many=True, read_only=True, help_text="Newest first; the first is in force."
    )
    admiralty_code = serializers.SerializerMethodField(
        help_text=(
            "Feed reliability letter and the credibility digit of the "
            "annotation in force (6 without one), e.g. B2."
        )
    )

    class Meta:
        model = Article
        fields = [
            "id",
            "feed",
            "feed_title",
            "feed_reliability",
            "url",
            "canonical_url",
            "title",
            "summary",
            "content",
            "author",
            "published_at",
            "date_note",
            "fetched_at",
            "cluster",
            "topics",
            "annotations",
            "admiralty_code",
        ]
        read_only_fields = fields

    def get_topics(self, article: Article) -> list[int]:
        return sorted(match.topic_id for match in article.topic_matches.all())

    def get_admiralty_code(self, article: Article) -> str:
        # Prefetched newest first, so the first is the one in force.
        in_force = next(iter(article.annotations.all()), None)
        return admiralty_code(article.feed, in_force)


# --- Reports and revisions ----------------------------------------------------


class TopicBriefSerializer(serializers.ModelSerializer[Topic]):
    class Meta:
        model = Topic
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class ReportSerializer(serializers.ModelSerializer[Report]):
    topic = TopicBriefSerializer(read_only=True)
    approved_by = _username("approved_by", "The editor who approved.")
    allowed_actions = serializers.SerializerMethodField(
        help_text="Workflow actions you may take on the report now."
    )

    class Meta:
        model = Report
        fields = [
            "id",
            "topic",
            "period_start",
            "period_end",
            "state",
            "tlp",
            "latest_revision",
            "approved_revision",
            "approved_by",
            "approved_at",
            "published_revision",
            "created_at",
            "updated_at",
            "allowed_actions",
        ]
        read_only_fields = fields

    def get_allowed_actions(self, report: Report) -> list[str]:
        allowed = self.context.get("allowed_actions")
        return list(allowed(report)) if allowed else []


class ContentField(serializers.JSONField):
    """A revision's content snapshot; documented as the ReportContent schema
    by `reports.api.schema.ContentFieldSchema`."""


class RevisionSummarySerializer(serializers.ModelSerializer[Revision]):
    author = _username("author", "Who saved it; null for machine drafts.")

    class Meta:
        model = Revision
        fields = [
            "id",
            "report",
            "number",
            "parent",
            "origin",
            "author",
            "note",
            "created_at",
            "job",
            "backend",
            "model_name",
            "prompt_version",
            "input_article_ids",
            "usage",
            "cost_usd",
            "duration_ms",
        ]
        read_only_fields = fields


class RevisionSerializer(RevisionSummarySerializer):
    content = ContentField(read_only=True)

    class Meta(RevisionSummarySerializer.Meta):
        fields = [*RevisionSummarySerializer.Meta.fields, "content"]
        read_only_fields = fields


class RevisionSaveSerializer(serializers.Serializer[Any]):
    base_revision_id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text=(
            "The revision this content was edited from. A save based on any "
            "revision but the latest is refused with 409."
        ),
    )
    content = ContentField(help_text="The whole new content snapshot.")
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000
    )


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(
        max_length=2000, help_text="Why; recorded in the audit log."
    )


class ApproveSerializer(serializers.Serializer[Any]):
    revision_id = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        help_text="The exact revision approved; it must be the latest.",
    )


class CommentSerializer(serializers.ModelSerializer[ReviewComment]):
    report = serializers.IntegerField(source="revision.report_id", read_only=True)
    author = _username("author", "Who wrote it.")
    resolved_by = _username("resolved_by", "Who marked it resolved.")

    class Meta:
        model = ReviewComment
        fields = [
            "id",
            "report",
            "revision",
            "section",
            "parent",
            "author",
            "text",
            "resolved",
            "resolved_by",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields


class CommentCreateSerializer(serializers.Serializer[Any]):
    revision = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    section = serializers.CharField(
        max_length=100,
        help_text="Section path, e.g. key_developments.3 or assessment.hotspots.0",
    )
    text = serializers.CharField(max_length=10000)
    parent = serializers.IntegerField(  # type: ignore[assignment]
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        allow_null=True,
        default=None,
        help_text="The comment this one answers.",
    )


# --- Jobs, publications, audit ------------------------------------------------


class JobSerializer(serializers.ModelSerializer[GenerationJob]):
    requested_by = _username("requested_by", "Null for scheduled drafts.")
    revision = serializers.SerializerMethodField(
        help_text="The revision the job saved, once it succeeded."
    )

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "topic",
            "period_start",
            "period_end",
            "report",
            "requested_by",
            "drafter",
            "state",
            "progress",
            "progress_note",
            "error",
            "attempts",
            "usage",
            "created_at",
            "started_at",
            "finished_at",
            "revision",
        ]
        read_only_fields = fields

    def get_revision(self, job: GenerationJob) -> int | None:
        revision = getattr(job, "revision", None)
        return revision.pk if revision is not None else None


class JobCreateSerializer(serializers.Serializer[Any]):
    topic = serializers.SlugField(help_text="The topic's slug, e.g. mongolia.")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    drafter = serializers.ChoiceField(
        choices=["offline", "anthropic"],
        required=False,
        allow_null=True,
        default=None,
        help_text="Leave out to use the desk's configured drafter.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["period_end"] < attrs["period_start"]:
            raise serializers.ValidationError(
                {"period_end": "The period must not end before it starts."}
            )
        return attrs


class PublicationSerializer(serializers.ModelSerializer[Publication]):
    published_by = _username("published_by", "The editor who published.")
    superseded = serializers.BooleanField(
        read_only=True, help_text="A later publication of the report corrects it."
    )
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Publication
        fields = [
            "id",
            "report",
            "revision",
            "sha256",
            "size",
            "published_at",
            "published_by",
            "superseded",
            "pdf_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf_url(self, publication: Publication) -> str:
        request = self.context.get("request")
        path = reverse("api:publication-pdf", kwargs={"pk": publication.pk})
        return request.build_absolute_uri(path) if request else path


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = _username("actor", "Null for the system.")

    class Meta:
        model = AuditEvent
        fields = ["id", "action", "actor", "report", "revision", "data", "created_at"]
        read_only_fields = fields


# --- Diffs --------------------------------------------------------------------


class WordSerializer(serializers.Serializer[Any]):
    op = serializers.ChoiceField(choices=["equal", "insert", "delete"])
    text = serializers.CharField()


class ChangeSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=[kind.value for kind in ChangeKind])
    path = serializers.CharField(help_text="Section path, e.g. key_developments.2")
    summary = serializers.CharField(help_text="The change in one sentence.")
    words = WordSerializer(many=True, help_text="Word-level edit, for text.")
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    km = serializers.FloatField(allow_null=True, help_text="How far a hotspot moved.")
    added_ids = serializers.ListField(child=serializers.IntegerField())
    removed_ids = serializers.ListField(child=serializers.IntegerField())


class SectionDiffSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    changes = ChangeSerializer(many=True)


class ThreatChangeSerializer(serializers.Serializer[Any]):
    before = serializers.CharField(allow_blank=True)
    after = serializers.CharField(allow_blank=True)
    direction = serializers.ChoiceField(choices=["raised", "lowered", "set", "cleared"])


class HotspotRefSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    intensity = serializers.IntegerField()


class HotspotMoveSerializer(serializers.Serializer[Any]):
    label = serializers.CharField()  # type: ignore[assignment]
    before = HotspotRefSerializer()
    after = HotspotRefSerializer()
    km = serializers.FloatField()


class DiffSerializer(serializers.Serializer[Any]):
    old_revision_id = serializers.IntegerField()
    new_revision_id = serializers.IntegerField()
    old_number = serializers.IntegerField()
    new_number = serializers.IntegerField()
    changed = serializers.BooleanField(help_text="Whether anything differs at all.")
    summary = serializers.ListField(
        child=serializers.CharField(),
        source="summary_lines",
        help_text="The assessment's changes in a few sentences.",
    )
    threat = ThreatChangeSerializer(allow_null=True)
    sections = SectionDiffSerializer(many=True)
    hotspots_added = HotspotRefSerializer(many=True)
    hotspots_removed = HotspotRefSerializer(many=True)
    hotspots_moved = HotspotMoveSerializer(many=True)
    sources_added = serializers.ListField(child=serializers.IntegerField())
    sources_removed = serializers.ListField(child=serializers.IntegerField())
    article_titles = serializers.DictField(
        child=serializers.CharField(), help_text="Titles of the sources named, by id."
    )
