"""Admin for publishing: publications (read-only), the download log, follows."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from reports.models import Download, Publication, PublicationNotice, TopicFollow
from reports.roles import Capability, can


class _DeskViews(admin.ModelAdmin):
    """Seen by the whole desk (analysts and editors), per the role table."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Capability.READ_DESK)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Capability.READ_DESK)


class _ReadOnly(_DeskViews):
    """Rows written by the publishing code and never changed by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Publication)
class PublicationAdmin(_ReadOnly):
    list_display = [
        "id",
        "report",
        "revision_number",
        "published_at",
        "published_by",
        "size",
        "short_hash",
        "download_link",
    ]
    list_select_related = ["report", "report__topic", "revision", "published_by"]
    list_filter = ["report__topic", "published_at"]
    date_hierarchy = "published_at"
    search_fields = ["sha256", "report__topic__name"]
    raw_id_fields = ["report", "revision", "published_by"]
    show_full_result_count = False
    readonly_fields = [
        "report",
        "revision",
        "pdf",
        "sha256",
        "size",
        "published_at",
        "published_by",
    ]

    @admin.display(description="Revision", ordering="revision__number")
    def revision_number(self, obj: Publication) -> int:
        return obj.revision.number

    @admin.display(description="SHA-256")
    def short_hash(self, obj: Publication) -> str:
        return obj.sha256[:12] + "…"

    @admin.display(description="PDF")
    def download_link(self, obj: Publication) -> str:
        return format_html(
            '<a href="/reports/{}/publications/{}/pdf/">download</a>',
            obj.report_id,
            obj.pk,
        )


@admin.register(Download)
class DownloadAdmin(_ReadOnly):
    list_display = ["at", "publication", "user", "byte_range"]
    list_select_related = ["publication", "user"]
    list_filter = ["at"]
    date_hierarchy = "at"
    raw_id_fields = ["publication", "user"]
    search_fields = ["user__username"]
    # The log grows with every request: never count it whole.
    show_full_result_count = False
    ordering = ["-at"]


@admin.register(TopicFollow)
class TopicFollowAdmin(_DeskViews):
    list_display = ["user", "topic", "created_at"]
    list_select_related = ["user", "topic"]
    list_filter = ["topic"]
    raw_id_fields = ["user"]
    search_fields = ["user__username", "topic__name"]
    show_full_result_count = False

    # Editors may follow or unfollow a topic for a reader who asks them to.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return can(request.user, Capability.MANAGE_TOPICS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Capability.MANAGE_TOPICS)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, Capability.MANAGE_TOPICS)


@admin.register(PublicationNotice)
class PublicationNoticeAdmin(_ReadOnly):
    list_display = ["sent_at", "publication", "user"]
    list_select_related = ["publication", "user"]
    raw_id_fields = ["publication", "user"]
    show_full_result_count = False
    ordering = ["-sent_at"]
