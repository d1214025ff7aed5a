"""URLs of the REST API, mounted at /api/.

Resources come from one router; `/api/schema/` is the OpenAPI document and
`/api/docs/` a browsable page of it (Swagger UI served from the project's own
static files, no CDN). Any other path under /api/ answers a JSON 404.
"""

from django.urls import URLPattern, URLResolver, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from reports.api.errors import NOT_FOUND_URL_NAME, api_not_found
from reports.api.views.jobs import JobViewSet
from reports.api.views.publications import PublicationViewSet
from reports.api.views.reports import (
    AuditLogViewSet,
    AuditViewSet,
    CommentViewSet,
    ReportViewSet,
    RevisionViewSet,
)
from reports.api.views.sources import (
    AnnotationViewSet,
    ArticleViewSet,
    FeedViewSet,
    TopicViewSet,
)
from reports.api.views.tokens import TokenViewSet

app_name = "api"

router = SimpleRouter()
router.register("tokens", TokenViewSet, basename="token")
router.register("topics", TopicViewSet, basename="topic")
router.register("feeds", FeedViewSet, basename="feed")
router.register("articles", ArticleViewSet, basename="article")
router.register("annotations", AnnotationViewSet, basename="annotation")
router.register("reports", ReportViewSet, basename="report")
router.register(
    r"reports/(?P<report_pk>[0-9]+)/audit", AuditViewSet, basename="report-audit"
)
router.register("audit", AuditLogViewSet, basename="audit")
router.register("revisions", RevisionViewSet, basename="revision")
router.register("comments", CommentViewSet, basename="comment")
router.register("jobs", JobViewSet, basename="job")
router.register("publications", PublicationViewSet, basename="publication")

# The document describes the API to anyone who can reach it; it holds no data.
_public = {"permission_classes": [AllowAny], "authentication_classes": []}

urlpatterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(**_public), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(url_name="api:schema", **_public),
        name="docs",
    ),
    *router.urls,
    re_path(r"^(?P<unmatched>[\s\S]*)$", api_not_found, name=NOT_FOUND_URL_NAME),
]
