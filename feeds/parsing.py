"""Parsing fetched feed bytes into entries, and telling entries apart.

feedparser always gets the bytes (in a file object) and the response
headers, never a URL or a string: given a string it may fetch a URL or open a
local file of that name. Its strict parser runs on expat with external
entities off, and feedparser drops every entity declaration that is not a
plain character reference, so neither "billion laughs" nor an external entity
naming a local file reaches an article.
"""

import datetime as dt
import hashlib
import io
import logging
import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import feedparser
from feedparser.urls import make_safe_absolute_uri

from feeds import feedparser_patches, saxreader
from feeds.canonical import canonical_url
from feeds.models import Feed
from feeds.sanitising import html_to_text, one_line, safe_http_url

logger = logging.getLogger(__name__)

MAX_SUMMARY_CHARS = 20_000
MAX_CONTENT_CHARS = 100_000
# Share of a fetch's entries with a missing or repeated guid (or link) above
# which the feed stops trusting that field for good.
UNUSABLE_SHARE = 0.2
MAX_KEY_CHARS = 200


# Quicker, equal parts of feedparser (feeds.feedparser_patches).
feedparser_patches.install()


class ParseError(Exception):
    """The bytes are not a feed we can read; `message` is meant for people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ParsedEntry:
    guid: str
    link: str
    title: str
    summary: str
    content: str
    author: str
    published: dt.datetime | None
    # A relative guid resolved against the feed's address: the guid's
    # spelling in keys stored before the desk resolved links itself (see
    # parse_feed), looked up so those articles are still recognised.
    resolved_guid: str = ""


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    site: str
    version: str
    entries: list[ParsedEntry]
    warning: str = ""


def parse_feed(body: bytes, *, headers: Mapping[str, str], url: str) -> ParsedFeed:
    """Parse feed bytes; a feedparser failure or a non-feed raises ParseError."""
    response_headers = {k.lower(): v for k, v in headers.items()}
    # Relative links are resolved here, for the two the desk keeps (entry and
    # site), against the address feedparser would use. Given a base address,
    # feedparser re-resolves it at every element it opens: a tenth of all
    # ingest work, for values that are then thrown away.
    base = response_headers.pop("content-location", "") or url
    try:
        with saxreader.whole_text_runs():
            result = feedparser.parse(
                io.BytesIO(body),
                response_headers=response_headers,
                # Text is made safe by feeds.sanitising, which drops all
                # markup; feedparser's own HTML passes would be wasted work.
                sanitize_html=False,
                resolve_relative_uris=False,
            )
    except Exception as exc:  # feedparser raises many kinds for bad input
        logger.warning("feed parser crashed url=%s error=%r", url, exc)
        raise ParseError(
            f"The feed could not be parsed ({type(exc).__name__})."
        ) from exc

    if not result.get("version") and not result.entries:
        raise ParseError(_not_a_feed(result, response_headers))

    entries = []
    for raw in result.entries:
        entry = _entry(raw, base)
        if entry is not None:
            entries.append(entry)
    meta = result.get("feed", {})
    return ParsedFeed(
        title=one_line(str(meta.get("title", "")), limit=300),
        site=safe_http_url(make_safe_absolute_uri(base, str(meta.get("link", "")))),
        version=str(result.get("version") or ""),
        entries=entries,
        warning=_warning(result),
    )


def _not_a_feed(result: Any, headers: Mapping[str, str]) -> str:
    content_type = headers.get("content-type", "").split(";")[0].strip()
    if "html" in content_type:
        return (
            f"The address serves a web page ({content_type}), not an RSS or Atom feed."
        )
    if result.get("bozo"):
        reason = _exception_text(result.get("bozo_exception"))
        return f"The response is not a readable RSS or Atom feed: {reason}."
    return "The response holds no RSS or Atom feed."


def _warning(result: Any) -> str:
    if not result.get("bozo"):
        return ""
    reason = _exception_text(result.get("bozo_exception"))
    return f"The feed is malformed but was read anyway: {reason}."


def _exception_text(exc: object) -> str:
    if exc is None:
        return "unknown problem"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _entry(parsed: Any, base: str) -> ParsedEntry | None:
    # A plain dict of the canonical keys read below: FeedParserDict's own
    # lookups translate legacy key names on every access, at a cost.
    raw = dict(parsed)
    summary = html_to_text(str(raw.get("summary", "")))[:MAX_SUMMARY_CHARS]
    content_parts = [
        str(part.get("value", "")) for part in raw.get("content", []) or []
    ]
    content = html_to_text("\n".join(content_parts))[:MAX_CONTENT_CHARS]
    if content == summary:
        content = ""
    title = one_line(str(raw.get("title", "")), limit=1000)
    if not title:
        title = one_line(summary or content, limit=120)
    link = safe_http_url(_absolute(base, str(raw.get("link", ""))))
    if not (title or link):
        return None
    guid = one_line(str(raw.get("id", "")), limit=2000)
    resolved = ""
    if _PLAIN_NAME.match(guid):
        # "item-1234": no scheme, no path, nothing urljoin would reinterpret.
        resolved = _directory(base) + guid
    elif guid and not urlsplit(guid).scheme:
        resolved = one_line(_absolute(base, guid), limit=2000)
    return ParsedEntry(
        guid=guid,
        resolved_guid=resolved if resolved != guid else "",
        link=link,
        title=title or "(untitled)",
        summary=summary,
        content=content,
        author=one_line(str(raw.get("author", "")), limit=300),
        published=_published(raw),
    )


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]+\Z")


@lru_cache(maxsize=256)
def _directory(base: str) -> str:
    """What a plain relative name is joined to: `base` up to its last "/"."""
    return _absolute(base, "x")[:-1]


def _absolute(base: str, link: str) -> str:
    """`link` resolved against `base` as feedparser resolves it, or "" for
    a scheme it refuses. An absolute http(s) link (most of them) is taken
    as it is: urljoin would give it back the same, short of an empty "?"
    or "#" at its end, which canonical URLs drop anyway."""
    if link.startswith(("https://", "http://")):
        return link
    return make_safe_absolute_uri(base, link)


def _published(raw: Any) -> dt.datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = raw.get(name)
        if isinstance(value, time.struct_time):
            try:
                return dt.datetime(*value[:6], tzinfo=dt.UTC)
            except (ValueError, OverflowError):
                continue
    return None


# --- Entry keys -------------------------------------------------------------


def entry_keys(entries: list[ParsedEntry], *, mode: str) -> tuple[list[str], str]:
    """A key per entry, unique within the list, and the feed's key mode.

    The key is the guid, else the canonical link, else title and date. When
    a noticeable share of a fetch's guids are missing or repeated, the feed
    moves to link keys for good (and from links to title and date), so
    its keys stay stable from one fetch to the next.
    """
    links = [canonical_url(entry.link) for entry in entries]
    if mode == Feed.EntryKeyMode.GUID and _unusable([e.guid for e in entries]):
        mode = Feed.EntryKeyMode.LINK
    if mode == Feed.EntryKeyMode.LINK and _unusable(links):
        mode = Feed.EntryKeyMode.TITLE_DATE

    guid_counts = Counter(e.guid for e in entries if e.guid)
    link_counts = Counter(link for link in links if link)
    keys: list[str] = []
    seen: set[str] = set()
    for entry, link in zip(entries, links, strict=True):
        if (
            mode == Feed.EntryKeyMode.GUID
            and entry.guid
            and guid_counts[entry.guid] == 1
        ):
            key = "g:" + entry.guid
        elif mode != Feed.EntryKeyMode.TITLE_DATE and link and link_counts[link] == 1:
            key = "u:" + link
        else:
            when = entry.published.isoformat() if entry.published else ""
            key = "t:" + _digest(f"{entry.title}\n{when}")
        if key in seen:
            # Same identity, different text: keep both, told apart by text.
            key = f"{key}#{_digest(entry.summary + entry.content)[:16]}"
        seen.add(key)
        keys.append(_bounded(key))
    return keys, mode


def guid_key(guid: str) -> str:
    """The key of an entry known by its guid."""
    return _bounded("g:" + guid)


def _unusable(values: list[str]) -> bool:
    if not values:
        return False
    counts = Counter(values)
    bad = sum(1 for value in values if not value or counts[value] > 1)
    return bad / len(values) > UNUSABLE_SHARE


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _bounded(key: str) -> str:
    if len(key) <= MAX_KEY_CHARS:
        return key
    return key[:2] + "sha256:" + _digest(key)
