"""Asking for a machine draft through the API, and following it."""

import datetime as dt

import pytest

from reports.models import ArticleMatch, GenerationJob, Report, Topic
from tests.factories import make_article, make_feed, make_topic
from tests.reports.api.clients import bearer_client
from tests.reports.eager import in_process_tasks_fixture  # noqa: F401
from tests.services import celery_worker, need_broker, need_postgres, wait_for

pytestmark = pytest.mark.django_db

WEEK = {"period_start": "2026-05-07", "period_end": "2026-05-14"}


def test_it_queues_a_draft_and_creates_the_report(analyst):
    topic = make_topic()

    response = bearer_client(analyst).post(
        "/api/jobs/", {"topic": topic.slug, "drafter": "offline", **WEEK}
    )

    assert response.status_code == 202
    job = response.json()
    assert (job["state"], job["drafter"], job["requested_by"]) == (
        "queued",
        "offline",
        "analyst",
    )
    report = Report.objects.get(pk=job["report"])
    assert (report.topic, str(report.period_start)) == (topic, "2026-05-07")


def test_it_answers_the_running_job_when_asked_twice(analyst):
    topic = make_topic()
    client = bearer_client(analyst)
    body = {"topic": topic.slug, "drafter": "offline", **WEEK}

    first = client.post("/api/jobs/", body).json()
    second = client.post("/api/jobs/", body).json()

    assert first["id"] == second["id"]
    assert GenerationJob.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"topic": "atlantis", **WEEK}, 404),
        (
            {
                "topic": "{slug}",
                "period_start": "2026-05-14",
                "period_end": "2026-05-07",
            },
            400,
        ),
        ({"topic": "{slug}", "drafter": "gpt", **WEEK}, 400),
        (
            {"topic": "{slug}", "period_start": "May 7th", "period_end": "2026-05-14"},
            400,
        ),
    ],
)
def test_it_refuses_a_draft_it_cannot_start(analyst, body, status):
    topic = make_topic()
    body = {k: v.replace("{slug}", topic.slug) for k, v in body.items()}

    response = bearer_client(analyst).post("/api/jobs/", body)

    assert response.status_code == status
    assert not GenerationJob.objects.exists()
    assert not Report.objects.exists()


def _week_of_articles() -> Topic:
    topic = make_topic()
    feed = make_feed()
    topic.feeds.add(feed)
    for day in range(7, 12):
        article = make_article(
            feed,
            title=f"Mongolia: ministries hit by intrusion, day {day}",
            published_at=dt.datetime(2026, 5, day, 9, tzinfo=dt.UTC),
        )
        ArticleMatch.objects.create(topic=topic, article=article, score=1.0)
    return topic


def test_it_follows_a_job_to_its_revision(
    analyst, in_process_tasks, django_capture_on_commit_callbacks
):
    topic = _week_of_articles()
    client = bearer_client(analyst)

    # In-process tasks run when the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        job = client.post(
            "/api/jobs/", {"topic": topic.slug, "drafter": "offline", **WEEK}
        ).json()
    followed = client.get(f"/api/jobs/{job['id']}/").json()

    assert followed["state"] == "succeeded", followed["error"]
    assert followed["progress"] == 100
    revision = client.get(f"/api/revisions/{followed['revision']}/").json()
    assert revision["origin"] == "offline"
    assert revision["content"]["key_developments"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_it_follows_a_job_run_by_a_real_worker(analyst):
    need_postgres()
    need_broker()
    topic = _week_of_articles()
    client = bearer_client(analyst)

    with celery_worker():
        job = client.post(
            "/api/jobs/", {"topic": topic.slug, "drafter": "offline", **WEEK}
        ).json()
        wait_for(
            lambda: (
                client.get(f"/api/jobs/{job['id']}/").json()["state"]
                in ("succeeded", "failed")
            ),
            timeout=60,
        )

    followed = client.get(f"/api/jobs/{job['id']}/").json()
    assert followed["state"] == "succeeded", followed["error"]
    assert followed["revision"] is not None
