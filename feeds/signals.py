"""Signals the feeds app sends; other apps connect to them, feeds knows none.

`articles_ingested` is sent after the transaction that stored new articles
commits, with `article_ids`: the primary keys of the articles just created.
"""

from django.dispatch import Signal

articles_ingested = Signal()
