import datetime as dt
from typing import Any

import pytest

from feeds import storing
from feeds.models import Article, Feed, StoryCluster
from feeds.parsing import ParsedEntry, entry_keys
from feeds.signals import IngestedArticle, articles_ingested, articles_stored
from feeds.storing import (
    article_date,
    articles_insert,
    articles_prepare,
    content_hash,
)
from tests.factories import make_feed, store_entries

FETCHED = dt.datetime(2026, 5, 14, 12, tzinfo=dt.UTC)


def _entry(n: int, **fields: Any) -> ParsedEntry:
    values: dict[str, Any] = {
        "guid": f"g{n}",
        "link": f"https://news.example.org/{n}?utm_source=rss#c",
        "title": f"Distinct headline number {n} on topic {n * 7}",
        "summary": f"Body text {n} with words {n * 3} and {n * 11}.",
        "content": "",
        "author": "Reporter",
        "published": dt.datetime(2026, 5, 1, tzinfo=dt.UTC) + dt.timedelta(days=n),
    }
    values.update(fields)
    return ParsedEntry(**values)


def _store(feed: Feed, entries: list[ParsedEntry], **kwargs: Any) -> list[int]:
    keys, _ = entry_keys(entries, mode=feed.entry_key_mode)
    return store_entries(feed, entries, keys, fetched_at=FETCHED, **kwargs)


@pytest.mark.django_db
def test_it_stores_entries_as_articles_with_canonical_urls() -> None:
    feed = make_feed()

    ids = _store(feed, [_entry(1), _entry(2)])

    article = Article.objects.get(pk=min(ids))
    assert len(ids) == 2
    assert article.canonical_url.startswith("https://news.example.org/")
    assert "utm_" not in article.canonical_url
    assert "#" not in article.canonical_url
    assert article.url.endswith("#c")
    assert article.fetched_at == FETCHED


@pytest.mark.django_db
def test_it_never_doubles_an_article_on_a_rerun() -> None:
    feed = make_feed()
    _store(feed, [_entry(1), _entry(2)])

    again = _store(feed, [_entry(1), _entry(2), _entry(3)])

    assert len(again) == 1
    assert Article.objects.filter(feed=feed).count() == 3


@pytest.mark.django_db
def test_an_entry_stored_after_it_was_prepared_is_neither_doubled_nor_clustered() -> (
    None
):
    feed = make_feed()
    other = _entry(
        2,
        title="Herders move livestock south as early snow closes passes",
        summary="Heavy snowfall in the western aimags blocked three roads.",
    )
    entries = [_entry(1), other]
    keys, _ = entry_keys(entries, mode=feed.entry_key_mode)
    prepared = articles_prepare(
        feed=feed, entries=entries, keys=keys, fetched_at=FETCHED
    )
    # Meanwhile another worker (past the lease, somehow) stores entry 1.
    _store(feed, [_entry(1)])

    ids = articles_insert(prepared)

    assert len(ids) == 1
    assert Article.objects.filter(feed=feed).count() == 2
    # Entry 1 was not taken for a retelling of its own stored copy (which
    # would leave a "story" of one article).
    assert not StoryCluster.objects.exists()


@pytest.mark.django_db
def test_one_insert_tells_apart_two_feeds_articles_under_the_same_key() -> None:
    feeds = [make_feed(), make_feed()]
    prepared = [
        article
        for n, feed in enumerate(feeds)
        for article in articles_prepare(
            feed=feed, entries=[_entry(n)], keys=["g:same"], fetched_at=FETCHED
        )
    ]

    ids = articles_insert(prepared)

    assert len(set(ids)) == 2
    assert [a.pk for a in prepared] == ids
    stored = dict(Article.objects.filter(pk__in=ids).values_list("pk", "feed_id"))
    assert [stored[pk] for pk in ids] == [feed.pk for feed in feeds]


@pytest.mark.django_db
def test_it_ignores_a_conflicting_insert_from_a_racing_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed = make_feed()
    _store(feed, [_entry(1)])
    # As if another worker stored entry 1 after this one looked.
    monkeypatch.setattr(storing, "_existing_keys", lambda feed, keys: set())

    ids = store_entries(
        feed,
        [_entry(1), _entry(2)],
        ["g:g1", "g:g2"],
        fetched_at=FETCHED + dt.timedelta(minutes=5),
    )

    assert len(ids) == 1
    assert Article.objects.filter(feed=feed).count() == 2


@pytest.mark.django_db
def test_it_keeps_the_first_version_of_an_edited_entry() -> None:
    feed = make_feed()
    _store(feed, [_entry(1)])

    _store(feed, [_entry(1, title="Corrected headline")])

    assert Article.objects.get(feed=feed).title.startswith("Distinct headline")


@pytest.mark.django_db
def test_it_skips_known_links_when_a_feed_changes_its_keys() -> None:
    feed = make_feed()
    _store(feed, [_entry(1), _entry(2)])
    feed.entry_key_mode = Feed.EntryKeyMode.LINK

    ids = _store(feed, [_entry(1, guid=""), _entry(2, guid="")], skip_known_links=True)

    assert ids == []
    assert Article.objects.filter(feed=feed).count() == 2


@pytest.mark.django_db
def test_it_announces_new_articles_after_commit(
    django_capture_on_commit_callbacks: Any,
) -> None:
    feed = make_feed()
    received: list[list[int]] = []

    def receiver(sender: object, article_ids: list[int], **kwargs: object) -> None:
        received.append(article_ids)

    articles_ingested.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            ids = _store(feed, [_entry(1), _entry(2)])
            assert received == []
    finally:
        articles_ingested.disconnect(receiver)

    assert sorted(received[0]) == sorted(ids)


@pytest.mark.django_db
def test_what_stored_receivers_write_commits_or_rolls_back_with_the_articles() -> None:
    feed = make_feed()
    texts: list[list[str]] = []

    def failing(sender: object, articles: list[IngestedArticle], **kw: object) -> None:
        texts.append([article.title for article in articles])
        raise RuntimeError("a receiver broke")

    articles_stored.connect(failing)
    try:
        with pytest.raises(RuntimeError):
            _store(feed, [_entry(1), _entry(2)])
    finally:
        articles_stored.disconnect(failing)

    assert texts == [[_entry(1).title, _entry(2).title]]
    assert not Article.objects.filter(feed=feed).exists()


def test_it_uses_the_fetch_time_for_a_missing_date_and_marks_it() -> None:
    assert article_date(None, fetched_at=FETCHED) == (FETCHED, "missing")


def test_it_clamps_a_far_future_date_and_marks_it() -> None:
    future = FETCHED + dt.timedelta(days=400)

    assert article_date(future, fetched_at=FETCHED) == (FETCHED, "future")


def test_it_keeps_a_date_slightly_ahead_from_time_zone_slop() -> None:
    ahead = FETCHED + dt.timedelta(hours=3)

    assert article_date(ahead, fetched_at=FETCHED) == (ahead, "")


def test_it_hashes_content_blind_to_spacing_and_case() -> None:
    one = _entry(1, title="A  Title", summary="Some   text")
    two = _entry(2, title="a title", summary="some text")

    assert content_hash(one) == content_hash(two)
    assert content_hash(one) != content_hash(_entry(3))


@pytest.mark.django_db
def test_an_article_stored_under_its_resolved_relative_guid_is_not_stored_again() -> (
    None
):
    # Before the desk resolved links itself, feedparser resolved a relative
    # guid against the feed's address, and the key kept that spelling.
    feed = make_feed()
    old = _entry(1, guid="https://news.example.org/1001")
    _store(feed, [old])

    again = _store(
        feed,
        [
            _entry(1, guid="1001", resolved_guid="https://news.example.org/1001"),
            _entry(2),
        ],
    )

    assert len(again) == 1
    assert Article.objects.filter(feed=feed).count() == 2


def test_a_new_article_carries_every_column_the_insert_writes() -> None:
    import dataclasses

    from feeds.storing import _COLUMNS, NewArticle

    carried = {f.name for f in dataclasses.fields(NewArticle)}
    assert {field.attname for field in _COLUMNS} <= carried
