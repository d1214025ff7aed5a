import copy
import io
import itertools
import warnings

import feedparser
import feedparser.mixin
from feedparser.datetimes import _date_handlers, _parse_date
from feedparser.util import FeedParserDict
from hypothesis import example, given, settings
from hypothesis import strategies as st

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


def test_it_maps_every_character_as_feedparsers_cp1252_dict_does() -> None:
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


def _lookups(parsed: FeedParserDict, keys: list[object]) -> list[object]:
    """What [], get and `in` give for each key on each dict of a parse."""
    dicts = [parsed, parsed.feed, *parsed.entries]
    dicts += [d[k] for d in list(dicts) for k in dict.keys(d) if k.endswith("_detail")]
    found: list[object] = []
    # feedparser warns when "updated" falls back to "published"; both ways.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for d, key in itertools.product(dicts, keys):
            try:
                found.append(d[key])
            except (KeyError, TypeError) as exc:
                found.append(type(exc))
            if isinstance(key, str):
                found += [d.get(key, "-"), key in d]
    return found


def test_it_looks_keys_up_as_feedparser_does_for_every_kind_of_key() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:cc="http://web.resource.org/cc/"><channel>
<title>Outlet</title><link>https://news.example.org/</link>
<description>About the steppe</description><copyright>(c) Outlet</copyright>
<item><title>One</title><link>https://news.example.org/1</link>
<guid>urn:item:1</guid><category>Mining</category><category>Coal</category>
<description>&lt;p&gt;Lead&lt;/p&gt;</description>
<enclosure url="https://news.example.org/1.mp3" length="1" type="audio/mpeg"/>
<cc:license rdf:resource="https://creativecommons.org/licenses/by/4.0/"
 xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>
<pubDate>Fri, 08 May 2026 09:00:00 GMT</pubDate></item>
<item><title>Two</title><guid>urn:item:2</guid></item>
</channel></rss>"""
    keys: list[object] = [
        *FeedParserDict.keymap,
        # The names feedparser 6.0 computes a value for.
        "category",
        "enclosures",
        "license",
        "updated",
        "updated_parsed",
        "title",
        "summary",
        "links",
        "published_parsed",
        "no-such-key",
        "",
        1,
        ("title",),
    ]
    parsed = feedparser.parse(io.BytesIO(body), response_headers=HEADERS)

    quick = _lookups(parsed, keys)
    with feedparser_patches.as_installed():
        assert FeedParserDict.get is not feedparser_patches._get
        plain = _lookups(parsed, keys)

    assert FeedParserDict.get is feedparser_patches._get
    assert quick == plain


def _assignments(keys: list[str]) -> list[object]:
    """The plain dict each assignment of a key leaves, then setdefault's."""
    found: list[object] = []
    for key in keys:
        assigned = FeedParserDict(title="t")
        assigned[key] = "value"
        defaulted = FeedParserDict(title="t")
        found += [dict(assigned), defaulted.setdefault(key, "d"), dict(defaulted)]
    return found


def test_it_stores_assignments_as_feedparser_does() -> None:
    keys = [*FeedParserDict.keymap, "category", "updated", "title", "new", ""]

    quick = _assignments(keys)
    with feedparser_patches.as_installed():
        plain = _assignments(keys)

    assert quick == plain
    # A legacy name is stored under its new one, either way.
    assert {"title": "t", "summary": "value"} in quick


_DAYS = st.sampled_from(["", "Mon, ", "Thu, ", "Sun, ", "thu, ", "Thu,"])
_MONTHS = st.sampled_from(["Jan", "May", "Feb", "Dec", "may", "Mai", "Sept"])
_ZONES = st.sampled_from(
    ["GMT", "UT", "Z", "UTC", "EST", "+0000", "-0000", "+0530", "-1200", "+2359"]
    + ["+9959", "+05:30", "-05", "gmt"]
)


@settings(max_examples=1000, deadline=None)
@given(
    st.tuples(
        _DAYS,
        st.integers(0, 32).map(str) | st.sampled_from(["07", "007", "x"]),
        _MONTHS,
        st.integers(0, 10000).map(lambda year: f"{year:04d}") | st.just("26"),
        st.integers(0, 25),
        st.integers(0, 61),
        st.integers(0, 61),
        _ZONES,
    ).map(
        lambda p: f"{p[0]}{p[1]} {p[2]} {p[3]} {p[4]:02d}:{p[5]:02d}:{p[6]:02d} {p[7]}"
    )
)
@example("Thu, 14 May 2026 12:00:00 +0000")
@example("Fri, 31 Dec 9999 23:59:59 -2359")
@example("Mon, 01 Jan 0001 00:00:00 +0100")
def test_it_reads_rfc822_dates_as_feedparser_does(date: str) -> None:
    quick = _parse_date(date)
    with feedparser_patches.as_installed():
        plain = _parse_date(date)

    assert quick == plain


def test_it_reads_usual_rfc822_dates_before_feedparser_tries_its_readers() -> None:
    assert _date_handlers[0] is feedparser_patches._usual_rfc822_date
    with feedparser_patches.as_installed():
        assert feedparser_patches._usual_rfc822_date not in _date_handlers

    assert _date_handlers.count(feedparser_patches._usual_rfc822_date) == 1
    assert feedparser_patches._usual_rfc822_date("2026-05-14T12:00:00Z") is None
