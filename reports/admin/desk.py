"""Admin for the desk: reports (opening on the editor page), revisions,
review comments, the audit log, and analysts' annotations of articles.

Nothing here changes a report directly: the stock change form is replaced by
the editor page (`desk_views`), whose every action goes through the domain
functions. Revisions, comments and audit events are read-only records.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from feeds.admin import AnnotationAdmin, CheapPaginator
from feeds.models import Annotation
from reports.models import AuditEvent, Report, ReviewComment, Revision
from reports.review import source_annotate
from reports.roles import Capability, can

from . import desk_views


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Capability.READ_DESK)


@admin.register(Report)
class ReportAdmin(_ReadOnly):
    list_display = (
        "title",
        "topic",
        "period",
        "state_badge",
        "latest_number",
        "updated_at",
    )
    list_filter = ("state", "topic")
    list_select_related = ("topic", "latest_revision")
    search_fields = ("topic__name",)
    date_hierarchy = "period_end"
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description="Report", ordering="period_end")
    def title(self, obj: Report) -> str:
        return f"{obj.topic.name} weekly assessment"

    @admin.display(description="Analysis period", ordering="period_start")
    def period(self, obj: Report) -> str:
        return f"{obj.period_start:%d %b} – {obj.period_end:%d %b %Y}"

    @admin.display(description="State", ordering="state")
    def state_badge(self, obj: Report) -> str:
        return format_html(
            '<span class="desk-state desk-state-{}">{}</span>',
            obj.state,
            obj.get_state_display(),
        )

    @admin.display(description="Latest revision")
    def latest_number(self, obj: Report) -> str:
        return str(obj.latest_revision.number) if obj.latest_revision else "–"

    def get_urls(self) -> list[URLPattern]:
        name = "reports_report_desk"
        own = [
            path("<int:report_id>/desk/", desk_views.editor, name=name),
            path(
                "<int:report_id>/desk/borders.geojson",
                desk_views.borders,
                name=f"{name}_borders",
            ),
            path(
                "<int:report_id>/desk/action/<str:action>/",
                desk_views.transition,
                name=f"{name}_action",
            ),
            path(
                "<int:report_id>/desk/redraft/",
                desk_views.redraft,
                name=f"{name}_redraft",
            ),
            path(
                "<int:report_id>/desk/comment/",
                desk_views.comment,
                name=f"{name}_comment",
            ),
            path(
                "<int:report_id>/desk/comment/<int:comment_id>/resolve/",
                desk_views.resolve,
                name=f"{name}_resolve",
            ),
            path(
                "<int:report_id>/desk/annotate/<int:article_id>/",
                desk_views.annotate,
                name=f"{name}_annotate",
            ),
            path("<int:report_id>/desk/diff/", desk_views.diff, name=f"{name}_diff"),
            path("<int:report_id>/desk/audit/", desk_views.audit, name=f"{name}_audit"),
        ]
        return own + super().get_urls()

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The editor page is the only way into a report.
        if not object_id.isdigit():
            return super().change_view(request, object_id, form_url, extra_context)
        return HttpResponseRedirect(
            reverse("admin:reports_report_desk", args=[int(object_id)])
        )


@admin.register(Revision)
class RevisionAdmin(_ReadOnly):
    list_display = ("__str__", "report", "number", "origin", "author", "created_at")
    list_filter = ("origin",)
    list_select_related = ("report__topic", "author")
    raw_id_fields = ("report", "parent", "author", "job")
    show_full_result_count = False
    paginator = CheapPaginator
    exclude = ("content",)
    readonly_fields = ("desk_link",)

    @admin.display(description="Open")
    def desk_link(self, obj: Revision) -> str:
        return format_html(
            '<a href="{}">Open the report on the desk</a>',
            reverse("admin:reports_report_desk", args=[obj.report_id]),
        )


@admin.register(ReviewComment)
class ReviewCommentAdmin(_ReadOnly):
    list_display = ("section", "revision", "author", "resolved", "created_at")
    list_filter = ("resolved",)
    list_select_related = ("revision", "author")
    raw_id_fields = ("revision", "parent", "author", "resolved_by")
    show_full_result_count = False


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnly):
    list_display = ("created_at", "action", "actor", "report", "revision")
    list_filter = ("action",)
    list_select_related = ("actor", "report__topic", "revision")
    raw_id_fields = ("actor", "report", "revision")
    show_full_result_count = False
    # The log grows with every action; counting it whole is not worth a page.
    paginator = CheapPaginator


# The feeds app's annotation admin, saving through the desk: the role table
# decides who may annotate, and each annotation leaves an audit event.
admin.site.unregister(Annotation)


@admin.register(Annotation)
class DeskAnnotationAdmin(AnnotationAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Capability.ANNOTATE)

    def annotate(self, request: HttpRequest, given: Annotation) -> Annotation:
        return source_annotate(
            article=given.article, actor=request.user, **self.judgement(given)
        )
