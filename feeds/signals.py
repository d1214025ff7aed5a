"""Signals the feeds app sends; other apps connect to them, feeds knows none.

Both carry `article_ids`, the primary keys of the articles just created, and
`articles`, the same articles' texts as `IngestedArticle` tuples, so a
receiver need not read back what was just written (other senders may leave
`articles` out):

- `articles_stored` is sent inside the transaction that stores them, before
  it commits: what its receivers write commits, or rolls back, with the
  articles (topic matching, so no article is ever stored unmatched).
- `articles_ingested` is sent once that transaction has committed.
"""

from typing import NamedTuple

from django.dispatch import Signal


class IngestedArticle(NamedTuple):
    id: int
    feed_id: int
    title: str
    summary: str
    content: str


articles_stored = Signal()
articles_ingested = Signal()
