import datetime as dt

import pytest

from feeds.models import Feed
from feeds.parsing import ParsedEntry, ParseError, entry_keys, parse_feed
from tests.feeds import hostile
from tests.feeds.builders import item, rss

HEADERS = {"content-type": "application/rss+xml; charset=utf-8"}
URL = "https://news.example.org/feed.xml"


def _entry(n: int, **fields: object) -> ParsedEntry:
    values: dict[str, object] = {
        "guid": f"g{n}",
        "link": f"https://news.example.org/{n}",
        "title": f"Title {n}",
        "summary": f"Summary {n}",
        "content": "",
        "author": "",
        "published": dt.datetime(2026, 5, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n),
    }
    values.update(fields)
    return ParsedEntry(**values)  # type: ignore[arg-type]


def test_it_parses_entries_with_aware_utc_dates_and_plain_text() -> None:
    body = rss(
        [
            item(
                1,
                summary="<p>Hello <b>there</b> &amp; <script>alert(1)</script></p>",
                published=dt.datetime(
                    2026, 5, 1, 16, tzinfo=dt.timezone(dt.timedelta(hours=8))
                ),
            )
        ],
        title="Outlet <b>One</b>",
    )

    parsed = parse_feed(body, headers=HEADERS, url=URL)

    entry = parsed.entries[0]
    assert parsed.title == "Outlet One"
    assert parsed.version == "rss20"
    assert entry.published == dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC)
    assert entry.summary == "Hello there &"
    assert entry.guid == "urn:item:1"
    assert parsed.warning == ""


def test_it_reads_atom_and_resolves_relative_links_against_the_feed() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><id>urn:a</id>
<updated>2026-05-02T00:00:00Z</updated>
<entry><title>One</title><id>urn:a:1</id><link href="/posts/1"/>
<updated>2026-05-02T00:00:00Z</updated><summary>S</summary></entry></feed>"""

    parsed = parse_feed(body, headers={}, url=URL)

    assert parsed.entries[0].link == "https://news.example.org/posts/1"


def test_it_never_treats_the_body_as_a_path_or_url(tmp_path: object) -> None:
    # feedparser, given a string, would open a file or URL of that name.
    with pytest.raises(ParseError):
        parse_feed(b"/etc/passwd", headers={}, url=URL)
    with pytest.raises(ParseError):
        parse_feed(b"http://127.0.0.2/feed.xml", headers={}, url=URL)


def test_it_refuses_html_in_words_people_understand() -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(hostile.HTML_PAGE, headers={"content-type": "text/html"}, url=URL)

    assert "web page" in caught.value.message


def test_it_neither_expands_entities_nor_reads_external_ones() -> None:
    laughs = parse_feed(hostile.BILLION_LAUGHS, headers={}, url=URL)
    leak = parse_feed(hostile.EXTERNAL_ENTITY, headers={}, url=URL)

    texts = [e.title + e.summary for e in laughs.entries + leak.entries]
    assert all("lollol" not in text and "root:" not in text for text in texts)
    assert len(leak.entries) == 1


def test_it_drops_javascript_links() -> None:
    body = rss([item(1, link="javascript:alert(1)")])

    parsed = parse_feed(body, headers=HEADERS, url=URL)

    assert parsed.entries[0].link == ""


def test_it_titles_an_untitled_entry_from_its_text() -> None:
    body = rss([item(1, title=None, summary="The opening words of the story.")])

    parsed = parse_feed(body, headers=HEADERS, url=URL)

    assert parsed.entries[0].title == "The opening words of the story."


def test_it_keys_entries_by_guid_when_guids_are_sound() -> None:
    keys, mode = entry_keys([_entry(1), _entry(2)], mode=Feed.EntryKeyMode.GUID)

    assert keys == ["g:g1", "g:g2"]
    assert mode == Feed.EntryKeyMode.GUID


def test_it_falls_back_to_links_when_every_guid_is_the_same() -> None:
    entries = [_entry(n, guid="same") for n in range(10)]

    keys, mode = entry_keys(entries, mode=Feed.EntryKeyMode.GUID)

    assert mode == Feed.EntryKeyMode.LINK
    assert len(set(keys)) == 10
    assert keys[0] == "u:https://news.example.org/0"


def test_it_falls_back_to_title_and_date_when_links_are_unusable_too() -> None:
    entries = [_entry(n, guid="", link="https://news.example.org/") for n in range(5)]

    keys, mode = entry_keys(entries, mode=Feed.EntryKeyMode.GUID)

    assert mode == Feed.EntryKeyMode.TITLE_DATE
    assert len(set(keys)) == 5
    assert all(key.startswith("t:") for key in keys)


def test_it_keeps_a_feed_on_its_fallback_mode_once_taken() -> None:
    keys, mode = entry_keys([_entry(1), _entry(2)], mode=Feed.EntryKeyMode.LINK)

    assert mode == Feed.EntryKeyMode.LINK
    assert keys == ["u:https://news.example.org/1", "u:https://news.example.org/2"]


def test_it_keys_a_lone_missing_guid_by_link_without_changing_mode() -> None:
    entries = [_entry(n) for n in range(9)] + [_entry(9, guid="")]

    keys, mode = entry_keys(entries, mode=Feed.EntryKeyMode.GUID)

    assert mode == Feed.EntryKeyMode.GUID
    assert keys[-1] == "u:https://news.example.org/9"


def test_it_tells_apart_entries_with_one_identity_but_different_text() -> None:
    entries = [
        _entry(1, guid="", link="", title="Same", published=None, summary="A"),
        _entry(2, guid="", link="", title="Same", published=None, summary="B"),
    ]

    keys, _ = entry_keys(entries, mode=Feed.EntryKeyMode.TITLE_DATE)

    assert keys[0] != keys[1]


def test_it_bounds_long_keys() -> None:
    keys, _ = entry_keys([_entry(1, guid="x" * 3000)], mode=Feed.EntryKeyMode.GUID)

    assert len(keys[0]) < 100
    assert keys[0].startswith("g:sha256:")


def test_relative_links_and_guids_resolve_against_the_feed_or_its_content_location() -> (
    None
):
    body = rss([item(1, link="/news/1", guid="1001")])

    plain = parse_feed(body, headers=HEADERS, url=URL).entries[0]
    moved = parse_feed(
        body,
        headers={**HEADERS, "Content-Location": "https://mirror.example.net/a/feed"},
        url=URL,
    ).entries[0]

    assert plain.link == "https://news.example.org/news/1"
    assert (plain.guid, plain.resolved_guid) == (
        "1001",
        "https://news.example.org/1001",
    )
    assert moved.link == "https://mirror.example.net/news/1"
    assert moved.resolved_guid == "https://mirror.example.net/a/1001"


def test_absolute_guids_have_no_second_spelling() -> None:
    entry = parse_feed(rss([item(1)]), headers=HEADERS, url=URL).entries[0]
    assert (entry.guid, entry.resolved_guid) == ("urn:item:1", "")
