"""Pages for every list: numbered pages, and a cursor for articles and the
audit log.

Articles and audit events grow without bound and arrive while clients page
through them, so they page by cursor over (time, id): no count query, no
skipped or repeated rows when new ones arrive.
"""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class DeskPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class ArticleCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-published_at", "-id")


class AuditCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")
