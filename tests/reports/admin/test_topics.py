"""Admin for drafting: topics, matches, jobs and "Draft now"."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from reports.models import ArticleMatch, GenerationJob, Revision, Topic
from tests.factories import PASSWORD
from tests.reports.eager import in_process_tasks_fixture  # noqa: F401
from tests.reports.weeks import Week, make_week

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_process_tasks")]


@pytest.fixture
def week(db: None) -> Week:
    return make_week()


def signed_in(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def topic_form(topic: Topic, **changes: Any) -> dict[str, Any]:
    data = {
        "name": topic.name,
        "slug": topic.slug,
        "country_code": topic.country_code,
        "default_tlp": topic.default_tlp,
        "aliases": "Mongolian\nМонгол",
        "keywords": "Ulaanbaatar, Erdenet",
        "feeds": [f.pk for f in topic.feeds.all()],
        "area_south": 41.5,
        "area_north": 52.2,
        "area_west": 87.7,
        "area_east": 119.9,
        "cadence_days": 7,
        "drafting_enabled": "on",
    }
    data.update(changes)
    return data


def test_it_lets_an_editor_change_a_topics_terms_one_per_line(
    week: Week, editor: Any
) -> None:
    url = reverse("admin:reports_topic_change", args=[week.topic.pk])

    response = signed_in(editor).post(url, topic_form(week.topic), follow=True)

    assert response.redirect_chain, response.content[:2000]
    week.topic.refresh_from_db()
    assert week.topic.aliases == ["Mongolian", "Монгол"]
    assert week.topic.keywords == ["Ulaanbaatar", "Erdenet"]
    # New terms rematch the topic's articles at once.
    matched = ArticleMatch.objects.filter(topic=week.topic)
    assert matched.filter(article=week.articles["mine"]).exists()
    assert (
        f"Matched {matched.count()} articles to Mongolia." in response.content.decode()
    )


def test_it_refuses_an_area_turned_inside_out(week: Week, editor: Any) -> None:
    url = reverse("admin:reports_topic_change", args=[week.topic.pk])

    response = signed_in(editor).post(
        url, topic_form(week.topic, area_south=60, area_north=50)
    )

    assert response.status_code == 200
    assert "south edge must lie below its north edge" in response.content.decode()


def test_it_adds_a_topic_through_reports_topics(week: Week, editor: Any) -> None:
    url = reverse("admin:reports_topic_add")
    form = topic_form(week.topic, name="Tuva", slug="Tuva")

    refused = signed_in(editor).post(url, form)
    assert refused.status_code == 200
    assert "lower-case letters, digits and single hyphens" in refused.content.decode()

    added = signed_in(editor).post(url, {**form, "slug": "tuva"})
    assert added.status_code == 302
    topic = Topic.objects.get(slug="tuva")
    assert topic.keywords == ["Ulaanbaatar", "Erdenet"]
    assert set(topic.feeds.all()) == set(week.topic.feeds.all())


def test_it_shows_topics_to_analysts_read_only(week: Week, analyst: Any) -> None:
    client = signed_in(analyst)
    url = reverse("admin:reports_topic_change", args=[week.topic.pk])

    assert client.get(url).status_code == 200
    client.post(url, topic_form(week.topic, name="Renamed"))

    week.topic.refresh_from_db()
    assert week.topic.name == "Mongolia"


def test_it_lists_matches_and_jobs_for_the_desk(week: Week, analyst: Any) -> None:
    client = signed_in(analyst)

    assert (
        client.get(reverse("admin:reports_articlematch_changelist")).status_code == 200
    )
    response = client.get(reverse("admin:reports_generationjob_changelist"))
    assert response.status_code == 200
    assert "Draft now" in response.content.decode()


# Transactional: the request commits, which runs the draft in-process.
@pytest.mark.django_db(transaction=True)
def test_it_drafts_now_for_an_analyst_and_shows_the_job(
    week: Week, analyst: Any
) -> None:
    client = signed_in(analyst)
    url = reverse("admin:reports_generationjob_draft")
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "topic": week.topic.pk,
            "period_start": "2026-05-07",
            "period_end": "2026-05-14",
            "drafter": "offline",
        },
        follow=True,
    )

    job = GenerationJob.objects.get()
    assert job.state == GenerationJob.State.SUCCEEDED, job.error
    assert job.requested_by == analyst
    assert Revision.objects.get(job=job).number == 1
    page = response.content.decode()
    assert f"Draft saved on report {job.report_id}" in page
    assert "Revision 1" in page


# Transactional: the request commits, which runs the draft in-process.
@pytest.mark.django_db(transaction=True)
def test_it_shows_a_failed_draft_in_words(
    week: Week, editor: Any, settings: Any
) -> None:
    settings.OSINT_MIN_ARTICLES = 100

    response = signed_in(editor).post(
        reverse("admin:reports_generationjob_draft"),
        {
            "topic": week.topic.pk,
            "period_start": "2026-05-07",
            "period_end": "2026-05-14",
        },
        follow=True,
    )

    assert "The draft failed: Too little reporting" in response.content.decode()


def test_it_refuses_draft_now_to_a_subscriber(week: Week, subscriber: Any) -> None:
    subscriber.is_staff = True
    subscriber.save()

    response = signed_in(subscriber).post(
        reverse("admin:reports_generationjob_draft"),
        {
            "topic": week.topic.pk,
            "period_start": "2026-05-07",
            "period_end": "2026-05-14",
        },
    )

    assert response.status_code == 403
    assert not GenerationJob.objects.exists()


def test_it_offers_draft_now_as_a_topic_action(week: Week, editor: Any) -> None:
    response = signed_in(editor).post(
        reverse("admin:reports_topic_changelist"),
        {"action": "draft_now", "_selected_action": [week.topic.pk]},
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"/draft/?topic={week.topic.pk}")
