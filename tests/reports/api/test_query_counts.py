"""Every list answers in the same number of queries for 2 rows as for 20."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feeds.models import Annotation
from reports.models import (
    AccessToken,
    ArticleMatch,
    AuditEvent,
    GenerationJob,
    Report,
    ReviewComment,
    Revision,
)
from reports.tokens import token_issue
from tests.factories import make_article, make_feed, make_report, make_topic
from tests.reports.api.clients import bearer_client
from tests.reports.api.desk import publish_row

pytestmark = pytest.mark.django_db


class World:
    """Rows for one list endpoint, added a few at a time."""

    def __init__(self, editor: Any, analyst: Any) -> None:
        self.editor = editor
        self.analyst = analyst
        self.report = make_report()
        self.topic = self.report.topic
        self.feed = self.topic.feeds.first()

    def tokens(self) -> None:
        token_issue(user=self.editor, kind=AccessToken.Kind.API, name="more")

    def topics(self) -> None:
        make_topic().feeds.add(make_feed(), make_feed())

    def feeds(self) -> None:
        make_feed()

    def articles(self) -> None:
        article = make_article(self.feed)
        ArticleMatch.objects.create(topic=self.topic, article=article)
        for credibility in (3, 2):
            Annotation.objects.create(
                article=article, analyst=self.analyst, credibility=credibility
            )

    def annotations(self) -> None:
        Annotation.objects.create(article=make_article(self.feed), analyst=self.analyst)

    def reports(self) -> None:
        report = make_report()
        report.approved_by = self.editor
        report.save()

    def published(self) -> None:
        report = make_report()
        report.state = Report.State.PUBLISHED
        report.published_revision = report.latest_revision
        report.save()
        publish_row(report, publisher=self.editor)

    def audit(self) -> None:
        AuditEvent.objects.create(
            actor=self.editor, action="submitted", report=self.report
        )

    def revisions(self) -> None:
        make_report()

    def comments(self) -> None:
        assert self.report.latest_revision is not None
        ReviewComment.objects.create(
            revision=self.report.latest_revision,
            section="outlook",
            author=self.analyst,
            text="Why?",
            resolved=True,
            resolved_by=self.editor,
        )

    def jobs(self) -> None:
        report = make_report()
        job = GenerationJob.objects.create(
            topic=report.topic,
            period_start=report.period_start,
            period_end=report.period_end,
            report=report,
            requested_by=self.analyst,
            drafter="offline",
            state=GenerationJob.State.SUCCEEDED,
            finished_at=timezone.now(),
        )
        Revision.objects.filter(report=report, number=1).update(job=job)


LISTS: list[tuple[str, str, Callable[[World], str]]] = [
    ("tokens", "editor", lambda w: "/api/tokens/"),
    ("topics", "subscriber", lambda w: "/api/topics/"),
    ("feeds", "analyst", lambda w: "/api/feeds/"),
    ("articles", "analyst", lambda w: f"/api/articles/?topic={w.topic.pk}"),
    ("annotations", "analyst", lambda w: "/api/annotations/"),
    ("reports", "editor", lambda w: "/api/reports/"),
    ("published", "subscriber", lambda w: "/api/reports/"),
    ("published", "subscriber", lambda w: "/api/publications/"),
    ("published", "editor", lambda w: "/api/publications/"),
    ("audit", "analyst", lambda w: f"/api/reports/{w.report.pk}/audit/"),
    ("revisions", "analyst", lambda w: "/api/revisions/"),
    ("comments", "analyst", lambda w: f"/api/comments/?report={w.report.pk}"),
    ("jobs", "analyst", lambda w: "/api/jobs/"),
]


def _queries(client: Any, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.json()
    return len(captured), len(response.json()["results"])


@pytest.mark.parametrize(("rows", "role", "path"), LISTS)
def test_it_answers_lists_in_constant_queries(
    request, settings, tmp_path, editor, analyst, rows, role, path
):
    settings.MEDIA_ROOT = tmp_path
    world = World(editor, analyst)
    add = getattr(world, rows)
    client = bearer_client(request.getfixturevalue(role))
    url = path(world)
    for _ in range(2):
        add()
    client.get(url)  # the token's first use is recorded once; not a list cost

    few, few_rows = _queries(client, url)
    for _ in range(18):
        add()
    many, many_rows = _queries(client, url)

    assert many_rows > few_rows >= 2
    assert many == few, (
        f"{url}: {few} queries for {few_rows} rows, {many} for {many_rows}"
    )
