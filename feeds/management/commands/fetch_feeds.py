from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from feeds.models import Feed
from feeds.scheduling import Refused, due_feeds, feed_fetch_leased


class Command(BaseCommand):
    help = (
        "Fetch the due feeds (or one feed) now, one line per feed. A feed that "
        "fails is recorded on the feed; the command goes on with the others."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--feed", type=int, metavar="ID", help="Fetch this feed, due or not."
        )

    def handle(self, *args: Any, feed: int | None = None, **options: Any) -> None:
        try:
            if feed is not None:
                if not Feed.objects.filter(pk=feed).exists():
                    raise CommandError(f"There is no feed with id {feed}.")
                feed_ids = [feed]
            else:
                now = timezone.now()
                feed_ids = list(
                    due_feeds(now=now)
                    .order_by("next_check_at", "pk")
                    .values_list("pk", flat=True)
                )
        except DatabaseError as exc:
            raise CommandError(f"Cannot read the feeds: {exc}") from exc

        if not feed_ids:
            self.stdout.write("No feeds are due.")
        for feed_id in feed_ids:
            outcome = feed_fetch_leased(feed_id=feed_id)
            row = Feed.objects.filter(pk=feed_id).only("title", "url").first()
            name = str(row) if row else "(deleted)"
            if isinstance(outcome, Refused):
                line = f"skipped: {_REFUSED[outcome]}"
            else:
                line = outcome.describe()
            self.stdout.write(f"feed {feed_id} {name}: {line}")


_REFUSED = {
    Refused.MISSING: "the feed was deleted",
    Refused.LEASED: "another worker is fetching it",
    Refused.HOST_BUSY: "its host already has requests in flight",
}
