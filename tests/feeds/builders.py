"""Feed documents for tests, built from plain item dictionaries."""

import datetime as dt
from email.utils import format_datetime
from typing import Any
from xml.sax.saxutils import escape


def item(n: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": f"Item {n} about Mongolia",
        "link": f"https://news.example.org/{n}",
        "guid": f"urn:item:{n}",
        "summary": f"Lead paragraph number {n}, on matters of state in the steppe.",
        "published": dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=n),
    }
    base.update(fields)
    return base


def rss(items: list[dict[str, Any]], *, title: str = "Test outlet") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>https://news.example.org/</link>",
        "<description>Test feed</description>",
    ]
    for entry in items:
        parts.append("<item>")
        if entry.get("title") is not None:
            parts.append(f"<title>{escape(entry['title'])}</title>")
        if entry.get("link"):
            parts.append(f"<link>{escape(entry['link'])}</link>")
        if entry.get("guid"):
            parts.append(f'<guid isPermaLink="false">{escape(entry["guid"])}</guid>')
        if entry.get("summary") is not None:
            parts.append(f"<description>{escape(entry['summary'])}</description>")
        if entry.get("published"):
            parts.append(f"<pubDate>{format_datetime(entry['published'])}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")
