import copy
import io

import feedparser
import feedparser.mixin
from feedparser.util import FeedParserDict

from feeds import feedparser_patches
from tests.feeds.builders import item, rss

HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}


def test_it_copies_feedparser_dicts_equal_and_sharing_nothing_mutable() -> None:
    nested = FeedParserDict(href="https://a.example/", rel="alternate")
    original = FeedParserDict(
        type="text/html", language=None, base="https://a.example/", links=[nested]
    )
    copied = copy.deepcopy(original)

    assert type(copied) is FeedParserDict
    assert copied == original
    copied["links"][0]["href"] = "https://b.example/"
    copied["links"].append(FeedParserDict())
    assert original["links"] == [nested]
    assert nested["href"] == "https://a.example/"


def test_its_cp1252_table_maps_every_character_as_feedparsers_dict_does() -> None:
    every = "".join(
        chr(code) for code in range(0x110000) if not 0xD800 <= code < 0xE000
    )
    with feedparser_patches.as_installed():
        expected = every.translate(feedparser.mixin._cp1252)

    assert every.translate(feedparser.mixin._cp1252) == expected
    assert "\x80\x93\x94".translate(feedparser.mixin._cp1252) == "€“”"


def test_it_parses_c1_controls_and_cyrillic_as_feedparser_does() -> None:
    body = rss(
        [
            item(1, title="Монгол \x93улс\x94 \x80 5", summary="Улаанбаатар \x96 😀"),
            item(2, title="Plain ASCII title", summary="Plain ASCII lead"),
        ]
    )

    quick = feedparser.parse(io.BytesIO(body), response_headers=HEADERS)
    with feedparser_patches.as_installed():
        plain = feedparser.parse(io.BytesIO(body), response_headers=HEADERS)

    assert quick == plain
    assert quick.entries[0].title == "Монгол “улс” € 5"


def test_it_puts_the_quicker_parts_back_after_a_comparison() -> None:
    with feedparser_patches.as_installed():
        assert "__deepcopy__" not in vars(FeedParserDict)
        assert isinstance(feedparser.mixin._cp1252, dict)

    assert "__deepcopy__" in vars(FeedParserDict)
    assert isinstance(feedparser.mixin._cp1252, str)
