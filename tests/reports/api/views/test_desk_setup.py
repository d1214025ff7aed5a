"""Adding and changing feeds and topics through the API."""

from typing import Any

import pytest
from django.apps import apps

from feeds.models import Feed
from reports.models import Topic
from tests.factories import make_feed, make_topic
from tests.reports.api.clients import bearer_client

pytestmark = pytest.mark.django_db

REFUSERS = ["anonymous", "outsider", "subscriber", "analyst"]


def _user(request: pytest.FixtureRequest, role: str) -> Any:
    return None if role == "anonymous" else request.getfixturevalue(role)


def _snapshot() -> dict[str, Any]:
    names = ["feeds.Feed", "reports.Topic", "reports.ArticleMatch"]
    rows = {n: list(apps.get_model(n).objects.order_by("pk").values()) for n in names}
    rows["topic feeds"] = list(
        Topic.feeds.through.objects.order_by("pk").values_list("topic", "feed")
    )
    return rows


def _requests(feed: Feed, topic: Topic) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("post", "/api/feeds/", {"url": "https://example.org/new.xml"}),
        ("patch", f"/api/feeds/{feed.pk}/", {"reliability": "A"}),
        ("post", "/api/topics/", {"name": "Chad", "slug": "chad"}),
        ("patch", f"/api/topics/{topic.pk}/", {"keywords": ["N'Djamena"]}),
    ]


@pytest.mark.parametrize("role", REFUSERS)
def test_it_lets_no_one_but_editors_set_up_feeds_and_topics(
    request: pytest.FixtureRequest, role: str
) -> None:
    feed, topic = make_feed(), make_topic()
    client = bearer_client(_user(request, role))
    before = _snapshot()

    for method, path, body in _requests(feed, topic):
        response = getattr(client, method)(path, body, format="json")

        assert response.status_code == (401 if role == "anonymous" else 403), path
        assert response.json()["error"]["code"] in {"not_authenticated", "forbidden"}
    assert _snapshot() == before


def test_it_lets_editors_add_a_feed(editor: Any) -> None:
    response = bearer_client(editor).post(
        "/api/feeds/",
        {"url": "https://example.org/rss", "title": "Wire", "reliability": "B"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["url"], body["reliability"], body["state"]) == (
        "https://example.org/rss",
        "B",
        "new",
    )
    assert Feed.objects.get(pk=body["id"]).host == "example.org"


def test_it_refuses_a_duplicate_or_non_http_feed_with_problems(editor: Any) -> None:
    make_feed(url="https://example.org/rss")
    client = bearer_client(editor)
    before = _snapshot()

    duplicate = client.post(
        "/api/feeds/", {"url": "https://example.org/rss"}, format="json"
    )
    not_http = client.post("/api/feeds/", {"url": "file:///etc/passwd"}, format="json")

    for response in (duplicate, not_http):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert error["details"]["problems"]
    assert "already registered" in duplicate.json()["error"]["details"]["problems"][0]
    assert _snapshot() == before


def test_it_lets_editors_change_a_feeds_reliability_and_disable_it(
    editor: Any,
) -> None:
    feed = make_feed()

    response = bearer_client(editor).patch(
        f"/api/feeds/{feed.pk}/", {"reliability": "C", "enabled": False}, format="json"
    )

    assert response.status_code == 200, response.json()
    feed.refresh_from_db()
    assert (feed.reliability, feed.enabled, feed.state) == ("C", False, "disabled")


def test_it_does_not_let_the_api_change_a_feeds_health(editor: Any) -> None:
    feed = make_feed(url="https://example.org/kept")

    response = bearer_client(editor).patch(
        f"/api/feeds/{feed.pk}/",
        {"state": "ok", "url": "https://x.org/"},
        format="json",
    )

    # Fields outside the request schema are ignored, as DRF does.
    assert response.status_code == 200
    feed.refresh_from_db()
    assert (feed.state, feed.url) == ("new", "https://example.org/kept")


def test_it_lets_editors_add_and_change_a_topic(editor: Any) -> None:
    feed = make_feed()
    client = bearer_client(editor)

    created = client.post(
        "/api/topics/",
        {
            "name": "Chad",
            "slug": "chad",
            "keywords": ["N'Djamena"],
            "feeds": [feed.pk],
            "area_south": 7.4,
            "area_north": 23.5,
            "area_west": 13.4,
            "area_east": 24.0,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    topic_id = created.json()["id"]
    changed = client.patch(
        f"/api/topics/{topic_id}/", {"cadence_days": 14, "feeds": []}, format="json"
    )

    assert changed.status_code == 200, changed.json()
    assert (changed.json()["cadence_days"], changed.json()["feeds"]) == (14, [])
    assert created.json()["feeds"] == [feed.pk]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Chad", "slug": "Not A Slug"},
        {"name": "Chad", "slug": "chad", "area_south": 20, "area_north": 10},
        {"name": "Chad", "slug": "chad", "feeds": [987654]},
        {"name": "Chad", "slug": "chad", "aliases": [""]},
        {"name": "Chad", "slug": "chad", "cadence_days": 0},
    ],
)
def test_it_refuses_bad_topics_with_400_and_changes_nothing(
    editor: Any, body: dict[str, Any]
) -> None:
    make_topic()
    before = _snapshot()

    response = bearer_client(editor).post("/api/topics/", body, format="json")

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["details"].get("problems") or error["details"].get("fields")
    assert _snapshot() == before


def test_it_refuses_a_taken_slug_on_change(editor: Any) -> None:
    make_topic(slug="taken")
    topic = make_topic()

    response = bearer_client(editor).patch(
        f"/api/topics/{topic.pk}/", {"slug": "taken"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["problems"] == [
        "The slug taken is already used by another topic."
    ]
