"""feedparser's own 2,107 test feeds, served over loopback through the ingest path.

The corpus lives outside the repository, beside it (`../shared/corpora/`),
as it does in CI. Each file is served with the HTTP headers its comment
names, then fetched, parsed and stored by `feed_fetch()` like any feed.
"""

import io
import re
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import feedparser
import pytest
from feedparser.util import FeedParserDict

from feeds import feedparser_patches, sanitising, saxreader
from feeds.fetching import Result, feed_fetch
from feeds.models import Article, Feed
from tests.feeds.servers import FeedServer, Handler, feed_server
from tests.services import ROOT

CORPUS = ROOT.parent / "shared" / "corpora" / "feedparser-tests"
_HEADER = re.compile(rb"^Header:\s*([\w-]+):\s?(.*?)\s*$", re.MULTILINE)


def _corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".xml", ".json"))


def _route(body: bytes) -> object:
    headers = {
        name.decode(): value.decode("latin-1")
        for name, value in _HEADER.findall(body[:2000])
    }
    content_type = "application/xml"
    for name in list(headers):
        if name.lower() == "content-type":
            content_type = headers.pop(name)

    def route(handler: Handler) -> None:
        handler.send_bytes(body, content_type=content_type, headers=headers)

    return route


@pytest.mark.django_db
def test_it_ingests_every_corpus_feed_without_crashing_or_hanging() -> None:
    files = _corpus_files()
    assert len(files) >= 2107, f"corpus not found or incomplete at {CORPUS}"

    outcomes: Counter[str] = Counter()
    slowest = 0.0
    with feed_server() as server:
        feeds = _serve_all(server, files)
        for feed in feeds:
            started = time.monotonic()
            outcome = feed_fetch(feed=feed, allowed_hosts=["127.0.0.1"])
            slowest = max(slowest, time.monotonic() - started)
            outcomes[outcome.result.value] += 1

    with_articles = set(Article.objects.values_list("feed_id", flat=True).distinct())
    for feed in Feed.objects.filter(pk__in=[f.pk for f in feeds]):
        assert feed.last_checked_at is not None, feed.url
        # Articles, a recorded error, or a readable feed that had no entries.
        ended_well = feed.pk in with_articles or bool(feed.last_error)
        empty_but_read = feed.state == Feed.State.OK and feed.last_success_at
        assert ended_well or empty_but_read, feed.url
    assert slowest < 10
    print(f"corpus outcomes: {dict(outcomes)}; slowest fetch {slowest:.2f} s")
    assert outcomes[Result.NEW.value] > 500
    assert sum(outcomes.values()) == len(files)


def _serve_all(server: FeedServer, files: list[Path]) -> list[Feed]:
    rows = []
    for index, path in enumerate(files):
        route_path = f"/corpus/{index}/{path.name}"
        server.route(route_path, _route(path.read_bytes()))  # type: ignore[arg-type]
        rows.append(
            Feed(url=server.url(route_path), title=str(path.relative_to(CORPUS)))
        )
    for row in rows:
        row.host = "127.0.0.1"
    return Feed.objects.bulk_create(rows)


def _parse_corpus() -> list[tuple[object, ...]]:
    """Every corpus feed parsed as feeds.parsing does, less its XML reader."""
    results: list[tuple[object, ...]] = []
    for path in _corpus_files():
        result = feedparser.parse(
            io.BytesIO(path.read_bytes()),
            sanitize_html=False,
            resolve_relative_uris=False,
        )
        results.append(
            (
                result.get("feed"),
                result.get("entries"),
                result.get("bozo"),
                result.get("version"),
            )
        )
    return results


@pytest.fixture(scope="module")
def corpus_parses() -> list[tuple[object, ...]]:
    """_parse_corpus() with the quicker feedparser parts in, once."""
    return _parse_corpus()


def test_it_parses_every_corpus_feed_alike_with_the_quicker_feedparser_parts(
    corpus_parses: list[tuple[object, ...]],
) -> None:
    with feedparser_patches.as_installed():
        assert "__deepcopy__" not in vars(FeedParserDict)
        plain = _parse_corpus()

    assert "__deepcopy__" in vars(FeedParserDict)
    assert len(plain) >= 2107
    assert corpus_parses == plain


def test_it_parses_every_corpus_feed_alike_when_reading_whole_text_runs(
    corpus_parses: list[tuple[object, ...]],
) -> None:
    with saxreader.whole_text_runs():
        joined = _parse_corpus()

    assert len(joined) >= 2107
    assert joined == corpus_parses


def test_it_strips_every_corpus_text_alike_with_and_without_the_html_parser(
    corpus_parses: list[tuple[object, ...]],
) -> None:
    texts = [
        str(value)
        for _, entries, _, _ in corpus_parses
        for entry in entries or []  # type: ignore[attr-defined]
        for value in [
            entry.get("title", ""),
            entry.get("summary", ""),
            *(part.get("value", "") for part in entry.get("content", [])),
        ]
        if value
    ]
    plain = sum(
        sanitising._plain_text(sanitising.clean_text(text)) is not None
        for text in texts
    )

    with mock.patch.object(sanitising, "_plain_text", return_value=None):
        parsed = [sanitising.html_to_text(text) for text in texts]

    assert [sanitising.html_to_text(text) for text in texts] == parsed
    # The quick path is taken for a good share of real feeds' text.
    assert plain > len(texts) / 3, (plain, len(texts))
