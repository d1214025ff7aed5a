import io
import xml.sax
from xml.sax.expatreader import ExpatParser

import feedparser
import feedparser.api
import pytest
from feedparser.api import StrictFeedParser

from feeds import saxreader
from feeds.parsing import parse_feed
from tests.feeds.builders import item, rss

HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}
# Escaped by rss(): an entity every few characters in the feed.
SUMMARY = "<p>One &amp; two <b>three</b> four</p>"


def _reader() -> object:
    return xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS)


def test_it_is_first_in_feedparsers_list_of_readers() -> None:
    assert feedparser.api.PREFERRED_XML_PARSERS[0] == "feeds.saxreader"


def test_it_gives_the_joining_reader_only_inside_the_block() -> None:
    outside = _reader()
    with saxreader.whole_text_runs():
        inside = _reader()
    after = _reader()

    assert type(inside) is saxreader.JoinedTextExpatParser
    assert type(outside) is ExpatParser
    assert type(after) is ExpatParser


def test_it_joins_character_data_split_at_entities(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    characters = StrictFeedParser.characters

    def counted(self: StrictFeedParser, text: str) -> None:
        calls.append(text)
        characters(self, text)

    monkeypatch.setattr(StrictFeedParser, "characters", counted)
    body = rss([item(1, summary=SUMMARY)])

    plain = feedparser.parse(io.BytesIO(body), response_headers=HEADERS)
    split = len(calls)
    calls.clear()
    with saxreader.whole_text_runs():
        joined = feedparser.parse(io.BytesIO(body), response_headers=HEADERS)

    assert joined == plain
    assert len(calls) < split


def test_it_serves_the_desks_own_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[type] = []
    create = saxreader.create_parser

    def spy(*args: object, **kwargs: object) -> object:
        reader = create(*args, **kwargs)
        made.append(type(reader))
        return reader

    monkeypatch.setattr(saxreader, "create_parser", spy)
    parsed = parse_feed(
        rss([item(1, summary=SUMMARY)]),
        headers=HEADERS,
        url="https://news.example.org/feed.xml",
    )

    assert made == [saxreader.JoinedTextExpatParser]
    assert parsed.entries[0].summary == "One & two three four"
