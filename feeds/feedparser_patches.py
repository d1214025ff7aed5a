"""Quicker equivalents of parts of feedparser, put in when the desk starts.

Each gives exactly what feedparser gave; tests parse feedparser's own corpus
with and without them and compare. `as_installed()` takes them out for a
while, for such comparisons and for benchmarks of feedparser itself.

- Copies of its dict class. feedparser copies the parameters of every text
  it keeps (type, language, base) with copy.deepcopy, and its dict class has
  no __deepcopy__, so each copy took the generic reduce path: about a
  twentieth of a parse, counted in instructions, on a plain RSS feed. The
  values are strings or None, so a new dict of the same values, deep-copying
  whatever else turns up, is an equal copy at a fraction of the cost.
- The table that maps the C1 controls a cp1252 text would carry to the
  characters meant. feedparser translates every text it keeps with it, and
  given a dict, str.translate raises and clears a KeyError for each
  character of a text that is not all ASCII: about 90 ns a character of
  Cyrillic. The same mapping as a string indexed by code point (the whole
  Basic Multilingual Plane, 128 KB) answers without raising, in about 35;
  characters past it are left as they are, as the dict left them. Measured
  on the desk's parses of 60 of bench/ingest.py's feeds (a quarter of their
  entries name "Монгол"), it took a sixth off the parse; on the same feeds
  spelt in Cyrillic, a quarter.
- Lookups in its dict class. Each `get`, `[]`, `in` and assignment first
  tells apart, in Python, the legacy names it maps to new ones and the
  names it computes, before the plain dict operation almost every call ends
  in; feedparser's own parse makes some fifty such calls per entry. Any
  other key of type str now goes straight to the plain operation, which
  took an eighth off the desk's parse of the same 60 feeds (get and []
  alone; the other two, a few hundredths more, within the noise). The
  names are those of feedparser 6.0, the release requirements.txt pins;
  with another release the lookups are left as they are.
- A reader for RFC 822 dates written the usual way ("Thu, 14 May 2026
  12:00:00 +0000", as RSS has them), put first among feedparser's date
  handlers. feedparser tries its W3DTF reader first, which fails on such a
  date, then its RFC 822 reader, which splits and checks each part in
  Python: about 6 us a date together. One regex and the same arithmetic
  give the same time in about 3.5; any other shape is left to feedparser.

The XML reader the desk's parses use is in feeds.saxreader; it acts only
inside those parses, so it is not taken out here.
"""

import contextlib
import copy
import datetime as dt
import re
import time
from collections.abc import Iterator
from typing import Any

import feedparser
import feedparser.api
import feedparser.datetimes
import feedparser.mixin
from feedparser.util import FeedParserDict

from feeds import saxreader

_SCALARS = frozenset({str, bytes, int, float, bool, type(None)})
_PLANE = 0x10000


def _copy_feedparser_dict(self: FeedParserDict, memo: dict[int, Any]) -> Any:
    copied = FeedParserDict()
    memo[id(self)] = copied
    for key, value in dict.items(self):
        if type(value) not in _SCALARS:
            value = copy.deepcopy(value, memo)
        dict.__setitem__(copied, key, value)
    if vars(self):
        vars(copied).update(copy.deepcopy(vars(self), memo))
    return copied


# feedparser's own table, kept to be put back by as_installed().
_CP1252_DICT: dict[int, str] = feedparser.mixin._cp1252


def _cp1252_table() -> str:
    # Built by placing the mapped characters, not by translating the plane
    # through the dict: that is the slow path this table avoids (20 ms of
    # every process's start against 7).
    chars = list(map(chr, range(_PLANE)))
    for code, char in _CP1252_DICT.items():
        chars[code] = char
    return "".join(chars)


_CP1252_TABLE = _cp1252_table()


# The keys FeedParserDict.__getitem__ treats in its own way in feedparser
# 6.0: legacy names, and names whose value it computes.
_OWN_KEYS = frozenset(FeedParserDict.keymap) | {
    "category",
    "enclosures",
    "license",
    "updated",
    "updated_parsed",
}
_CHECKED_RELEASE = "6.0."
_INSTALLED = {
    name: vars(FeedParserDict)[name]
    for name in ("get", "__getitem__", "__contains__", "__setitem__")
}
_INSTALLED_GET = _INSTALLED["get"]
_INSTALLED_GETITEM = _INSTALLED["__getitem__"]
_INSTALLED_CONTAINS = _INSTALLED["__contains__"]
_INSTALLED_SETITEM = _INSTALLED["__setitem__"]


def _get(self: FeedParserDict, key: Any, default: Any = None) -> Any:
    if type(key) is str and key not in _OWN_KEYS:
        return dict.get(self, key, default)
    return _INSTALLED_GET(self, key, default)


def _getitem(self: FeedParserDict, key: Any) -> Any:
    if type(key) is str and key not in _OWN_KEYS:
        return dict.__getitem__(self, key)
    return _INSTALLED_GETITEM(self, key)


def _contains(self: FeedParserDict, key: Any) -> bool:
    if type(key) is str and key not in _OWN_KEYS:
        return dict.__contains__(self, key)
    return bool(_INSTALLED_CONTAINS(self, key))


def _setitem(self: FeedParserDict, key: Any, value: Any) -> None:
    if type(key) is str and key not in FeedParserDict.keymap:
        dict.__setitem__(self, key, value)
    else:
        _INSTALLED_SETITEM(self, key, value)


_MONTHS = {
    name: number
    for number, name in enumerate(
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),  # noqa: SIM905
        start=1,
    )
}
_USUAL_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) ("
    + "|".join(_MONTHS)
    + r") (\d{4}) (\d\d):(\d\d):(\d\d) (?:GMT|UT|Z|([+-])(\d\d)(\d\d))",
    re.ASCII,
)


def _usual_rfc822_date(value: str) -> time.struct_time | None:
    """The UTC time of an RFC 822 date in its usual shape, else None (and
    feedparser's own readers go on). Like feedparser, the day's name is not
    checked against the date."""
    match = _USUAL_RFC822.fullmatch(value)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, zone_h, zone_m = match.groups()
    try:
        stamp = dt.datetime(
            int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second)
        )
        offset = int(zone_h) * 3600 + int(zone_m) * 60 if sign else 0
        if offset:
            stamp -= dt.timedelta(0, offset if sign == "+" else -offset)
        return stamp.utctimetuple()
    except (ValueError, OverflowError):
        return None


_QUICK = {
    "get": _get,
    "__getitem__": _getitem,
    "__contains__": _contains,
    "__setitem__": _setitem,
}


def install() -> None:
    """Put the quicker parts in (again, if they were taken out)."""
    if "__deepcopy__" not in vars(FeedParserDict):
        FeedParserDict.__deepcopy__ = _copy_feedparser_dict
    feedparser.mixin._cp1252 = _CP1252_TABLE
    if feedparser.__version__.startswith(_CHECKED_RELEASE):
        for name, method in _QUICK.items():
            setattr(FeedParserDict, name, method)
    if _usual_rfc822_date not in feedparser.datetimes._date_handlers:
        feedparser.datetimes.registerDateHandler(_usual_rfc822_date)
    # The reader that joins character data, first in the list feedparser
    # picks its XML reader from; it serves only the desk's own parses.
    if saxreader.__name__ not in feedparser.api.PREFERRED_XML_PARSERS:
        feedparser.api.PREFERRED_XML_PARSERS.insert(0, saxreader.__name__)


@contextlib.contextmanager
def as_installed() -> Iterator[None]:
    """feedparser without the quicker parts, for the length of the block.

    The change is process-wide: for tests and benchmarks, not while other
    threads parse."""
    if vars(FeedParserDict).get("__deepcopy__") is _copy_feedparser_dict:
        del FeedParserDict.__deepcopy__
    feedparser.mixin._cp1252 = _CP1252_DICT
    with contextlib.suppress(ValueError):
        feedparser.datetimes._date_handlers.remove(_usual_rfc822_date)
    for name, method in _INSTALLED.items():
        setattr(FeedParserDict, name, method)
    try:
        yield
    finally:
        install()
