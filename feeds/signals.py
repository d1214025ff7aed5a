"""Signals the feeds app sends; other apps connect to them, feeds knows none.

`articles_ingested` is sent after the transaction that stored new articles
commits, with `article_ids`: the primary keys of the articles just created,
and `articles`: the same articles' texts as `IngestedArticle` tuples, so a
receiver need not read back what was just written. Senders other than
ingestion may leave `articles` out.
"""

from typing import NamedTuple

from django.dispatch import Signal


class IngestedArticle(NamedTuple):
    id: int
    feed_id: int
    title: str
    summary: str
    content: str


articles_ingested = Signal()
