"""Admin for drafting: topics, article matches, generation jobs, "Draft now",
and the feeds app's feed admin, saving through `reports.topics`.

Editors manage topics; analysts see them. Matches and jobs are read-only
records. "Draft now" (a small form, and an action on topics) calls
`reports.jobs.draft_request`, the same function the API, the command and the
schedule use.
"""

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html

from feeds.admin import FeedAdmin, RecheckRefusedSave
from feeds.models import Feed
from reports.drafting import DRAFTERS, resolve_drafter_name
from reports.errors import DeskError, ValidationFailed
from reports.jobs import draft_request
from reports.matching import topic_rematch
from reports.models import ArticleMatch, GenerationJob, Topic
from reports.roles import Capability, can
from reports.tasks import period_just_ended
from reports.topics import (
    EDITABLE,
    feed_change,
    feed_register,
    feed_switch,
    topic_check,
    topic_create,
    topic_update,
)

# Changes that alter which articles a topic matches.
REMATCH_ON = {"name", "aliases", "keywords", "feeds"}


class _TermsField(forms.CharField):
    """A list of terms edited as one term per line (or comma-separated)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return str(value or "")

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        terms = [t.strip() for line in text.splitlines() for t in line.split(",")]
        return list(dict.fromkeys(t for t in terms if t))


class TopicForm(forms.ModelForm):
    aliases = _TermsField(required=False, help_text="One name per line.")
    keywords = _TermsField(required=False, help_text="One term per line.")

    class Meta:
        model = Topic
        fields = [
            "name",
            "slug",
            "country_code",
            "default_tlp",
            "aliases",
            "keywords",
            "feeds",
            "area_south",
            "area_north",
            "area_west",
            "area_east",
            "cadence_days",
            "drafting_enabled",
        ]

    def clean(self) -> dict[str, Any]:
        # The rules are reports.topics'; this only shows their problems.
        data = super().clean() or {}
        values, feed_ids = _domain_values(data)
        try:
            topic_check(
                values, feeds=feed_ids, topic=self.instance.pk and self.instance
            )
        except ValidationFailed as exc:
            for problem in exc.problems:
                self.add_error(None, problem)
        return data


def _domain_values(data: dict[str, Any]) -> tuple[dict[str, Any], list[int] | None]:
    values = {k: v for k, v in data.items() if k in EDITABLE and k != "feeds"}
    feeds = data.get("feeds")
    return values, None if feeds is None else [feed.pk for feed in feeds]


@admin.register(Topic)
class TopicAdmin(RecheckRefusedSave):
    form = TopicForm
    refused_save_errors = (ValidationFailed,)
    list_display = ("name", "slug", "country_code", "cadence_days", "drafting_enabled")
    list_filter = ("drafting_enabled",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("feeds",)
    actions = ("draft_now",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "country_code", "default_tlp")}),
        ("Matching", {"fields": ("aliases", "keywords", "feeds")}),
        (
            "Area (degrees, for hotspot checks)",
            {"fields": (("area_south", "area_north"), ("area_west", "area_east"))},
        ),
        ("Schedule", {"fields": ("cadence_days", "drafting_enabled")}),
    )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Capability.READ_DESK)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Capability.MANAGE_TOPICS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Capability.MANAGE_TOPICS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Reports keep their topic (PROTECT); disable drafting instead.
        return False

    def save_model(
        self, request: HttpRequest, obj: Topic, form: Any, change: bool
    ) -> None:
        # The form already copied its values onto obj; the domain compares
        # against the stored row, so it gets that row and the form's values.
        values, feed_ids = _domain_values(form.cleaned_data)
        if change:
            changed = {k: v for k, v in values.items() if k in form.changed_data}
            if "feeds" in form.changed_data:
                changed["feeds"] = feed_ids
            stored = Topic.objects.get(pk=obj.pk)
            saved = topic_update(actor=request.user, topic=stored, **changed)
        else:
            saved = topic_create(actor=request.user, **values, feeds=feed_ids)
        obj.pk = saved.pk
        obj._state.adding = False

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        # Feeds are saved with the related objects, so matching runs after.
        super().save_related(request, form, formsets, change)
        if not change or set(form.changed_data) & REMATCH_ON:
            matched = topic_rematch(topic=form.instance)
            self.message_user(
                request, f"Matched {matched} articles to {form.instance.name}."
            )

    def has_draft_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Capability.REQUEST_DRAFT)

    @admin.action(description="Draft now (choose the period)", permissions=["draft"])
    def draft_now(
        self, request: HttpRequest, queryset: QuerySet[Topic]
    ) -> HttpResponse:
        topic = queryset.order_by("name").first()
        url = reverse("admin:reports_generationjob_draft")
        return HttpResponseRedirect(f"{url}?topic={topic.pk if topic else ''}")


@admin.register(ArticleMatch)
class ArticleMatchAdmin(admin.ModelAdmin):
    list_display = ("article_title", "topic", "score", "published", "matched_at")
    list_filter = ("topic",)
    list_select_related = ("article", "topic", "article__feed")
    raw_id_fields = ("article",)
    search_fields = ("article__title",)
    show_full_result_count = False
    list_per_page = 100
    ordering = ("-matched_at",)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Capability.READ_DESK)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Article", ordering="article__title")
    def article_title(self, obj: ArticleMatch) -> str:
        return f"{obj.article.title} ({obj.article.feed})"

    @admin.display(description="Published", ordering="article__published_at")
    def published(self, obj: ArticleMatch) -> dt.datetime:
        return obj.article.published_at


class DraftNowForm(forms.Form):
    topic = forms.ModelChoiceField(queryset=Topic.objects.all())
    period_start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    drafter = forms.ChoiceField(
        choices=[("", "Default")] + [(d, d) for d in DRAFTERS], required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            raise forms.ValidationError("The period ends before it starts.")
        return data


@admin.register(GenerationJob)
class GenerationJobAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "topic",
        "period",
        "drafter",
        "state",
        "progress_display",
        "attempts",
        "created_at",
        "revision_link",
    )
    list_filter = ("state", "drafter", "topic")
    list_select_related = ("topic", "report", "revision")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = (
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
        "selection",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
        "revision_link",
    )
    fields = readonly_fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Capability.READ_DESK)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Period", ordering="period_start")
    def period(self, obj: GenerationJob) -> str:
        return f"{obj.period_start:%d %b} – {obj.period_end:%d %b %Y}"

    @admin.display(description="Progress")
    def progress_display(self, obj: GenerationJob) -> str:
        return f"{obj.progress}% {obj.progress_note}".strip()

    @admin.display(description="Duration")
    def duration(self, obj: GenerationJob) -> str:
        if obj.started_at and obj.finished_at:
            return f"{(obj.finished_at - obj.started_at).total_seconds():.1f} s"
        return "–"

    @admin.display(description="Revision")
    def revision_link(self, obj: GenerationJob) -> str:
        revision = getattr(obj, "revision", None)
        if revision is None:
            return "–"
        url = reverse("admin:reports_revision_change", args=[revision.pk])
        return format_html('<a href="{}">Revision {}</a>', url, revision.number)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "draft/",
                self.admin_site.admin_view(self.draft_now_view),
                name="reports_generationjob_draft",
            )
        ]
        return extra + super().get_urls()

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        extra_context["may_draft"] = can(request.user, Capability.REQUEST_DRAFT)
        return super().changelist_view(request, extra_context)

    def draft_now_view(self, request: HttpRequest) -> HttpResponse:
        if not can(request.user, Capability.REQUEST_DRAFT):
            return TemplateResponse(
                request,
                "admin/reports/draft_now.html",
                {**self.admin_site.each_context(request), "forbidden": True},
                status=403,
            )
        if request.method == "POST":
            form = DraftNowForm(request.POST)
            if form.is_valid():
                try:
                    job = draft_request(
                        topic=form.cleaned_data["topic"],
                        period_start=form.cleaned_data["period_start"],
                        period_end=form.cleaned_data["period_end"],
                        actor=request.user,
                        drafter=form.cleaned_data["drafter"] or None,
                    )
                except DeskError as exc:
                    form.add_error(None, exc.message)
                else:
                    return self._after_request(request, job)
        else:
            form = DraftNowForm(initial=self._initial(request))
        context = {
            **self.admin_site.each_context(request),
            "title": "Draft now",
            "form": form,
            "opts": self.model._meta,
            "default_drafter": resolve_drafter_name(None),
        }
        return TemplateResponse(request, "admin/reports/draft_now.html", context)

    def _initial(self, request: HttpRequest) -> dict[str, Any]:
        wanted = request.GET.get("topic", "")
        topic = (
            Topic.objects.filter(pk=int(wanted)).first() if wanted.isdigit() else None
        )
        topic = topic or Topic.objects.order_by("name").first()
        if topic is None:
            return {}
        start, end = period_just_ended(topic, today=timezone.now().date())
        return {"topic": topic, "period_start": start, "period_end": end}

    def _after_request(self, request: HttpRequest, job: GenerationJob) -> HttpResponse:
        job.refresh_from_db()
        if job.state == GenerationJob.State.FAILED:
            self.message_user(request, f"The draft failed: {job.error}", messages.ERROR)
        elif job.state == GenerationJob.State.SUCCEEDED:
            self.message_user(request, f"Draft saved on report {job.report_id}.")
        else:
            self.message_user(request, f"Draft job {job.pk} is {job.state}.")
        return HttpResponseRedirect(
            reverse("admin:reports_generationjob_change", args=[job.pk])
        )


# The feeds app's feed admin, saving through the desk: the role table decides
# who may change a feed, and each change leaves an audit event.
admin.site.unregister(Feed)


@admin.register(Feed)
class DeskFeedAdmin(FeedAdmin):
    def create(self, request: HttpRequest, values: dict[str, Any]) -> Feed:
        return feed_register(actor=request.user, **values)

    def update(self, request: HttpRequest, feed: Feed, values: dict[str, Any]) -> Feed:
        return feed_change(actor=request.user, feed=feed, **values)

    def switch(self, request: HttpRequest, feed: Feed, *, enabled: bool) -> Feed:
        return feed_switch(actor=request.user, feed=feed, enabled=enabled)
