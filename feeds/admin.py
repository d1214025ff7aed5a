"""Admin for feeds, articles, story clusters and annotations.

The article table grows without bound, so its admin never counts it in
full, never lists clusters as filter choices, and links to related rows by
id instead of loading choices.
"""

from functools import cached_property, partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from feeds.annotations import annotation_add, annotation_check
from feeds.errors import AnnotationRejected, FeedRejected
from feeds.models import Annotation, Article, Feed, StoryCluster
from feeds.registry import feed_check, feed_create, feed_update
from feeds.scheduling import feed_set_enabled
from feeds.tasks import fetch_feed

COUNT_LIMIT = 10_000


class CheapPaginator(Paginator):
    """Counts at most COUNT_LIMIT rows; unfiltered PostgreSQL tables are estimated."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return len(queryset)
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                    [queryset.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > COUNT_LIMIT:
                return int(row[0])
        return queryset.order_by()[: COUNT_LIMIT + 1].count()


_STATE_COLOURS = {
    Feed.State.NEW: "#555",
    Feed.State.OK: "#1a7f37",
    Feed.State.FAILING: "#b35900",
    Feed.State.BROKEN: "#c62828",
    Feed.State.GONE: "#6a1b9a",
    Feed.State.DISABLED: "#777",
}


# What the admin form edits; enabling goes through the actions.
_FORM_FIELDS = ("url", "title", "site", "reliability", "default_tlp", "poll_interval")


class FeedForm(forms.ModelForm):
    """Shows the rules of `feeds.registry` beside the form before saving."""

    class Meta:
        model = Feed
        fields = _FORM_FIELDS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = {name: data[name] for name in _FORM_FIELDS if name in data}
        try:
            feed_check(values, feed=self.instance if self.instance.pk else None)
        except FeedRejected as exc:
            for problem in exc.problems:
                self.add_error(None, problem)
        return data


class RecheckRefusedSave(admin.ModelAdmin):
    """Show the form checked again when the domain refuses a checked save.

    Between the form's check and the save another editor may take the same
    URL or slug; the domain function then refuses and the save rolls back.
    Running the view once more checks the form again, which now names the
    clash beside the kept input instead of showing an error page.
    """

    refused_save_errors: tuple[type[Exception], ...] = ()

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except self.refused_save_errors:
            return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(Feed)
class FeedAdmin(RecheckRefusedSave):
    form = FeedForm
    refused_save_errors = (FeedRejected,)
    list_display = (
        "__str__",
        "health",
        "reliability",
        "enabled",
        "last_success_at",
        "next_check_at",
        "consecutive_errors",
        "error_summary",
    )
    list_editable = ("reliability",)
    list_filter = ("state", "reliability", "enabled")
    search_fields = ("title", "url")
    actions = ("fetch_now", "enable", "disable")
    fields = (
        "url",
        "title",
        "site",
        "reliability",
        "default_tlp",
        "poll_interval",
        "enabled",
        "state",
        "last_checked_at",
        "last_success_at",
        "next_check_at",
        "consecutive_errors",
        "last_error",
        "last_warning",
        "entry_key_mode",
        "etag",
        "last_modified",
    )
    readonly_fields = (
        "enabled",
        "state",
        "last_checked_at",
        "last_success_at",
        "next_check_at",
        "consecutive_errors",
        "last_error",
        "last_warning",
        "entry_key_mode",
        "etag",
        "last_modified",
    )

    def save_model(
        self, request: HttpRequest, obj: Feed, form: Any, change: bool
    ) -> None:
        # The form already copied its values onto obj; the registry compares
        # against the stored row, so it gets that row and the changed values.
        values = {
            name: form.cleaned_data[name]
            for name in _FORM_FIELDS
            if name in form.cleaned_data and (not change or name in form.changed_data)
        }
        if change:
            saved = self.update(request, Feed.objects.get(pk=obj.pk), values)
        else:
            saved = self.create(request, values)
        obj.pk = saved.pk
        obj.host = saved.host
        obj._state.adding = False

    # The desk's admin replaces these three with its own, which check the
    # role and write an audit event.

    def create(self, request: HttpRequest, values: dict[str, Any]) -> Feed:
        return feed_create(**values)

    def update(self, request: HttpRequest, feed: Feed, values: dict[str, Any]) -> Feed:
        return feed_update(feed=feed, **values)

    def switch(self, request: HttpRequest, feed: Feed, *, enabled: bool) -> Feed:
        return feed_set_enabled(feed=feed, enabled=enabled)

    @admin.display(description="health", ordering="state")
    def health(self, feed: Feed) -> str:
        colour = _STATE_COLOURS.get(Feed.State(feed.state), "#555")
        return format_html(
            '<strong style="color:{}">{}</strong>', colour, feed.get_state_display()
        )

    @admin.display(description="last error")
    def error_summary(self, feed: Feed) -> str:
        return Truncator(feed.last_error).chars(90)

    @admin.action(description="Fetch now", permissions=["change"])
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        feed_ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            for feed_id in feed_ids:
                transaction.on_commit(partial(fetch_feed.delay, feed_id))
        self.message_user(request, f"Fetching {len(feed_ids)} feed(s) now.")

    @admin.action(description="Enable (fetch again)", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        for feed in queryset:
            self.switch(request, feed, enabled=True)
        self.message_user(request, "Enabled; the feeds will be fetched shortly.")

    @admin.action(description="Disable (stop fetching)", permissions=["change"])
    def disable(self, request: HttpRequest, queryset: QuerySet[Feed]) -> None:
        for feed in queryset:
            self.switch(request, feed, enabled=False)
        self.message_user(request, "Disabled.", level=messages.WARNING)


class MultiOutletFilter(admin.SimpleListFilter):
    title = "story"
    parameter_name = "story"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("shared", "Carried by several articles"), ("single", "Single article")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "shared":
            return queryset.filter(cluster__article_count__gt=1)
        if self.value() == "single":
            return queryset.filter(cluster__isnull=True)
        return queryset


class TopicFilter(admin.SimpleListFilter):
    """Articles matched to a topic, through the reverse relation the reports
    app adds (`topic_matches`); feeds never imports reports.

    A subquery instead of a join keeps the admin from adding DISTINCT over
    every column of a table with millions of rows.
    """

    title = "topic"
    parameter_name = "topic"

    def _models(self) -> tuple[Any, Any]:
        match_model = Article._meta.get_field("topic_matches").related_model
        topic_model = match_model._meta.get_field("topic").related_model
        return match_model, topic_model

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        _, topic_model = self._models()
        return [(str(topic.pk), str(topic)) for topic in topic_model.objects.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        match_model, _ = self._models()
        matched = match_model.objects.filter(topic_id=int(value)).values("article_id")
        return queryset.filter(pk__in=matched)


class AnnotationInline(admin.TabularInline):
    model = Annotation
    extra = 0
    can_delete = False
    fields = ("created_at", "analyst", "credibility", "relevance", "excluded", "note")
    readonly_fields = fields
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "feed", "published_at", "date_note", "story", "annotate")
    list_filter = (
        "feed",
        TopicFilter,
        "published_at",
        "date_note",
        MultiOutletFilter,
    )
    list_select_related = ("feed", "cluster")
    search_fields = ("title", "=canonical_url")
    show_full_result_count = False
    paginator = CheapPaginator
    raw_id_fields = ("feed", "cluster")
    inlines = (AnnotationInline,)
    readonly_fields = (
        "feed",
        "entry_key",
        "url",
        "canonical_url",
        "title",
        "summary",
        "content",
        "author",
        "published_at",
        "date_note",
        "fetched_at",
        "content_hash",
        "cluster",
    )
    exclude = ("simhash", "sketch_0", "sketch_1", "sketch_2", "sketch_3", "sketch_4")

    @admin.display(description="story", ordering="cluster")
    def story(self, article: Article) -> str:
        if article.cluster is None:
            return "-"
        url = reverse("admin:feeds_article_changelist")
        count = article.cluster.article_count
        return format_html(
            '<a href="{}?cluster__id__exact={}">{} article{}</a>',
            url,
            article.cluster_id,
            count,
            "" if count == 1 else "s",
        )

    @admin.display(description="judge")
    def annotate(self, article: Article) -> str:
        url = reverse("admin:feeds_annotation_add")
        return format_html('<a href="{}?article={}">annotate</a>', url, article.pk)

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        if lookup == "cluster__id__exact":
            return True
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(StoryCluster)
class StoryClusterAdmin(admin.ModelAdmin):
    list_display = ("__str__", "article_count", "first_published_at", "articles")
    list_filter = ("first_published_at",)
    show_full_result_count = False
    paginator = CheapPaginator
    readonly_fields = ("first_published_at", "last_published_at", "article_count")

    @admin.display(description="articles")
    def articles(self, cluster: StoryCluster) -> str:
        url = reverse("admin:feeds_article_changelist")
        return format_html(
            '<a href="{}?cluster__id__exact={}">list</a>', url, cluster.pk
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class AnnotationForm(forms.ModelForm):
    """Shows the rules of `feeds.annotations` beside the form before saving."""

    class Meta:
        model = Annotation
        fields = ("article", "credibility", "relevance", "note", "excluded")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if {"credibility", "relevance"} <= data.keys():
            try:
                annotation_check(
                    credibility=data["credibility"],
                    relevance=data["relevance"],
                    note=data.get("note", ""),
                )
            except AnnotationRejected as exc:
                for problem in exc.problems:
                    self.add_error(None, problem)
        return data


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    """Where analysts add annotations; an annotation is never edited."""

    form = AnnotationForm
    list_display = (
        "article",
        "analyst",
        "credibility",
        "relevance",
        "excluded",
        "created_at",
    )
    list_filter = ("credibility", "relevance", "excluded", "created_at")
    list_select_related = ("article", "analyst")
    raw_id_fields = ("article",)
    fields = ("article", "credibility", "relevance", "note", "excluded")
    show_full_result_count = False
    paginator = CheapPaginator

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"article": request.GET.get("article")}

    def save_model(
        self, request: HttpRequest, obj: Annotation, form: Any, change: bool
    ) -> None:
        saved = self.annotate(request, obj)
        obj.pk = saved.pk
        obj.analyst = saved.analyst
        obj.created_at = saved.created_at

    def annotate(self, request: HttpRequest, given: Annotation) -> Annotation:
        """Record the judgement the form holds, by the signed-in user.

        The desk's admin replaces this with its own, which checks the role
        and writes an audit event.
        """
        return annotation_add(
            article=given.article, analyst=request.user, **self.judgement(given)
        )

    @staticmethod
    def judgement(given: Annotation) -> dict[str, Any]:
        """What the form holds beyond the article."""
        return {
            "credibility": given.credibility,
            "relevance": given.relevance,
            "note": given.note,
            "excluded": given.excluded,
        }

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(getattr(request.user, "is_superuser", False))
