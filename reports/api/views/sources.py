"""Where reports come from: topics, feeds and their health, articles and
analysts' annotations of them."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from feeds.models import Annotation, Article, Feed
from reports.api.filters import AnnotationFilter, ArticleFilter, FeedFilter
from reports.api.pagination import ArticleCursorPagination
from reports.api.serializers import (
    AnnotationCreateSerializer,
    AnnotationSerializer,
    ArticleSerializer,
    FeedCreateSerializer,
    FeedSerializer,
    FeedUpdateSerializer,
    TopicCreateSerializer,
    TopicSerializer,
    TopicUpdateSerializer,
)
from reports.api.views.base import DeskViewSet, by_id, given_data
from reports.models import Report, Topic
from reports.review import source_annotate
from reports.roles import Capability
from reports.subscriptions import followed_topic_ids, topic_follow, topic_unfollow
from reports.topics import (
    feed_change,
    feed_register,
    feed_switch,
    topic_create,
    topic_update,
)


@extend_schema(tags=["topics"])
class TopicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """The countries and regions the desk reports on."""

    serializer_class = TopicSerializer
    # Subscribers pick topics to filter published reports by, and follow
    # them to hear of each new publication.
    capabilities = {
        "read": Capability.READ_PUBLISHED,
        "follow": Capability.READ_PUBLISHED,
        "unfollow": Capability.READ_PUBLISHED,
        "create": Capability.MANAGE_TOPICS,
        "partial_update": Capability.MANAGE_TOPICS,
    }
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[Topic]:
        return Topic.objects.prefetch_related(
            Prefetch("feeds", queryset=Feed.objects.only("id"))
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        if not getattr(self, "swagger_fake_view", False):
            context["followed"] = followed_topic_ids(self.request.user)
        return context

    @extend_schema(
        request=TopicCreateSerializer,
        responses={201: TopicSerializer},
        summary="Add a topic; its articles are matched at once",
    )
    def create(self, request: Request) -> Response:
        data = given_data(TopicCreateSerializer, request)
        topic = topic_create(actor=request.user, **data)
        return Response(self.get_serializer(topic).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TopicUpdateSerializer,
        responses={200: TopicSerializer},
        summary="Change a topic (only the fields sent); matches are recomputed",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        topic = self.get_object()
        changes = given_data(TopicUpdateSerializer, request)
        topic = topic_update(actor=request.user, topic=topic, **changes)
        return Response(self.get_serializer(topic).data)

    @extend_schema(
        request=None,
        responses={200: TopicSerializer},
        summary="Follow a topic: an e-mail for each new publication",
    )
    @action(detail=True, methods=["post"])
    def follow(self, request: Request, pk: str) -> Response:
        topic = self.get_object()
        topic_follow(user=request.user, topic=topic)
        return Response(self.get_serializer(topic).data)

    @extend_schema(
        request=None,
        responses={200: TopicSerializer},
        summary="Stop following a topic",
    )
    @action(detail=True, methods=["post"])
    def unfollow(self, request: Request, pk: str) -> Response:
        topic = self.get_object()
        topic_unfollow(user=request.user, topic=topic)
        return Response(self.get_serializer(topic).data)


@extend_schema(tags=["feeds"])
class FeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """Feeds with their health: state, last check, errors in a row, last error."""

    serializer_class = FeedSerializer
    capabilities = {
        "read": Capability.READ_DESK,
        "enable": Capability.MANAGE_FEEDS,
        "disable": Capability.MANAGE_FEEDS,
        "create": Capability.MANAGE_FEEDS,
        "partial_update": Capability.MANAGE_FEEDS,
    }
    filterset_class = FeedFilter
    ordering_fields = ["title", "state", "last_checked_at", "consecutive_errors"]
    ordering = ["title", "url", "id"]

    def get_queryset(self) -> QuerySet[Feed]:
        return Feed.objects.all()

    @extend_schema(
        request=FeedCreateSerializer,
        responses={201: FeedSerializer},
        summary="Add a feed, due for its first check at once",
    )
    def create(self, request: Request) -> Response:
        data = given_data(FeedCreateSerializer, request)
        feed = feed_register(actor=request.user, **data)
        return Response(FeedSerializer(feed).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=FeedUpdateSerializer,
        responses={200: FeedSerializer},
        summary="Change a feed's reliability, title, site, TLP or enabled flag",
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        feed = self.get_object()
        changes = given_data(FeedUpdateSerializer, request)
        feed = feed_change(actor=request.user, feed=feed, **changes)
        return Response(FeedSerializer(feed).data)

    @extend_schema(
        request=None,
        responses={200: FeedSerializer},
        summary="Enable a feed: checked at once, its health starting afresh",
    )
    @action(detail=True, methods=["post"])
    def enable(self, request: Request, pk: str) -> Response:
        feed = feed_switch(actor=request.user, feed=self.get_object(), enabled=True)
        return Response(FeedSerializer(feed).data)

    @extend_schema(
        request=None,
        responses={200: FeedSerializer},
        summary="Disable a feed: no more checks until it is enabled",
    )
    @action(detail=True, methods=["post"])
    def disable(self, request: Request, pk: str) -> Response:
        feed = feed_switch(actor=request.user, feed=self.get_object(), enabled=False)
        return Response(FeedSerializer(feed).data)


@extend_schema(tags=["articles"])
class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """Articles, newest first, with their annotations and story cluster.

    Paged by cursor: follow `next` until it is null.
    """

    serializer_class = ArticleSerializer
    capabilities = {"read": Capability.READ_DESK}
    filterset_class = ArticleFilter
    pagination_class = ArticleCursorPagination
    # The cursor fixes the order; reordering would break its positions.
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self) -> QuerySet[Article]:
        return Article.objects.select_related("feed").prefetch_related(
            Prefetch(
                "annotations",
                queryset=Annotation.objects.select_related("analyst").order_by(
                    "-created_at", "-id"
                ),
            ),
            "topic_matches",
        )


@extend_schema(tags=["annotations"])
class AnnotationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, DeskViewSet):
    """Analysts' judgements of articles; the newest per article is in force."""

    serializer_class = AnnotationSerializer
    capabilities = {"read": Capability.READ_DESK, "create": Capability.ANNOTATE}
    filterset_class = AnnotationFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Annotation]:
        return Annotation.objects.select_related("analyst")

    @extend_schema(
        request=AnnotationCreateSerializer,
        responses={201: AnnotationSerializer},
        summary="Judge an article (credibility, relevance, note, exclusion)",
    )
    def create(self, request: Request) -> Response:
        given = AnnotationCreateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data

        article = by_id(Article, data["article"], what="article")
        judgement = {
            "credibility": data["credibility"],
            "relevance": data["relevance"],
            "note": data["note"],
            "excluded": data["excluded"],
        }
        report = data["report"]
        annotation = source_annotate(
            report=None if report is None else by_id(Report, report, what="report"),
            article=article,
            actor=request.user,
            **judgement,
        )
        return Response(
            AnnotationSerializer(annotation).data, status=status.HTTP_201_CREATED
        )
