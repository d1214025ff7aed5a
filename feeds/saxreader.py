"""The XML reader feedparser's strict parser runs on for the desk's parses.

feedparser asks `xml.sax.make_parser` for a reader, trying the modules named
in its list of preferred readers before the standard ones. This module is put
first in that list. Inside `whole_text_runs()` it gives the standard expat
reader with one setting changed: expat joins each run of character data into
a single call, where it would otherwise split it at every entity reference.
Escaped HTML, which most feeds carry in their summaries, has an entity every
few characters (`&lt;p&gt;`), and feedparser does a dozen dictionary lookups
per call it receives: a tenth of its parse went on those calls.

SAX lets a reader split character data as it likes, and feedparser joins the
pieces it gets, so what a parse returns is the same either way. Outside
`whole_text_runs()` this module reports itself unavailable, and anyone
else's parse gets the reader it would have had without it.
"""

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any
from xml.sax import SAXReaderNotAvailable
from xml.sax.expatreader import ExpatParser

_JOINED = contextvars.ContextVar("feeds_saxreader_joined", default=False)


class JoinedTextExpatParser(ExpatParser):
    """The standard expat reader, delivering character data in whole runs."""

    def reset(self) -> None:
        super().reset()
        # The expat parser object the reader has just made (typeshed does
        # not describe the reader's private attributes).
        self._parser.buffer_text = True  # type: ignore[attr-defined]


def create_parser(*args: Any, **kwargs: Any) -> JoinedTextExpatParser:
    """The reader for `xml.sax.make_parser`, inside `whole_text_runs()`."""
    if not _JOINED.get():
        raise SAXReaderNotAvailable("only for the desk's own parses", None)
    return JoinedTextExpatParser(*args, **kwargs)


@contextlib.contextmanager
def whole_text_runs() -> Iterator[None]:
    """Let parses started in this block read character data in whole runs."""
    token = _JOINED.set(True)
    try:
        yield
    finally:
        _JOINED.reset(token)
