"""URLs of the subscriber portal, mounted at /reports/."""

from django.urls import URLPattern, URLResolver, path

from reports import portal

app_name = "portal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", portal.report_list, name="reports"),
    path("<int:report_id>/", portal.report_detail, name="report"),
    path("<int:report_id>/pdf/", portal.report_pdf, name="report_pdf"),
    path(
        "<int:report_id>/publications/<int:publication_id>/pdf/",
        portal.publication_pdf,
        name="publication_pdf",
    ),
    path("topics/<slug:slug>/follow/", portal.follow, name="follow"),
    path("topics/<slug:slug>/unfollow/", portal.unfollow, name="unfollow"),
    path("subscriptions/", portal.subscriptions, name="subscriptions"),
    path("feed/<str:token>/", portal.publication_feed, name="feed"),
]
