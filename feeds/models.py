"""Feeds, the articles they carry, story clusters and analysts' annotations."""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.utils import timezone

# A MinHash bin of an article too short to have one (see feeds.clustering);
# it never matches.
NO_SKETCH = -1


class Tlp(models.TextChoices):
    """Traffic Light Protocol 2.0 markings."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


class Feed(models.Model):
    class Reliability(models.TextChoices):
        """Admiralty source reliability."""

        A = "A", "A - Completely reliable"
        B = "B", "B - Usually reliable"
        C = "C", "C - Fairly reliable"
        D = "D", "D - Not usually reliable"
        E = "E", "E - Unreliable"
        F = "F", "F - Reliability cannot be judged"

    class State(models.TextChoices):
        NEW = "new", "New"
        OK = "ok", "Healthy"
        FAILING = "failing", "Failing"
        BROKEN = "broken", "Broken"
        GONE = "gone", "Gone (410)"
        DISABLED = "disabled", "Disabled"

    class EntryKeyMode(models.TextChoices):
        """How the feed's entries are told apart; only ever moves down."""

        GUID = "guid", "By guid"
        LINK = "link", "By link (guids missing or repeated)"
        TITLE_DATE = "title", "By title and date (guids and links unusable)"

    url = models.URLField(max_length=2000, unique=True)
    host = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    title = models.CharField(max_length=300, blank=True)
    site = models.URLField(max_length=2000, blank=True)
    reliability = models.CharField(
        max_length=1, choices=Reliability.choices, default=Reliability.F
    )
    default_tlp = models.CharField(
        max_length=12, choices=Tlp.choices, default=Tlp.CLEAR
    )
    enabled = models.BooleanField(default=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)

    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=200, blank=True)
    body_hash = models.CharField(max_length=64, blank=True)

    poll_interval = models.PositiveIntegerField(
        default=3600, help_text="Seconds between checks while the feed is healthy."
    )
    next_check_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    consecutive_errors = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_warning = models.TextField(
        blank=True, help_text="Problems the last successful fetch worked around."
    )
    entry_key_mode = models.CharField(
        max_length=5, choices=EntryKeyMode.choices, default=EntryKeyMode.GUID
    )
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "url"]

    def __str__(self) -> str:
        return self.title or self.url

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The host is kept as a column so the scheduler can limit requests in
        # flight per host with one query. bulk_create() and update() bypass
        # this method: code that writes url that way sets host itself.
        self.host = (urlsplit(self.url).hostname or "").lower()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "url" in update_fields:
            kwargs["update_fields"] = {*update_fields, "host"}
        super().save(*args, **kwargs)


class StoryCluster(models.Model):
    """Articles from one or more outlets that tell the same story."""

    created_at = models.DateTimeField(auto_now_add=True)
    first_published_at = models.DateTimeField(db_index=True)
    last_published_at = models.DateTimeField()
    article_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Story cluster {self.pk}"


class Article(models.Model):
    class DateNote(models.TextChoices):
        AS_PUBLISHED = "", "As published"
        MISSING = "missing", "No date in feed; fetch time used"
        FUTURE = "future", "Date in the future; clamped to fetch time"

    # No index of its own: the (feed, entry key) constraint and the (feed,
    # date) index both start with the feed, and every insert pays per index.
    feed = models.ForeignKey(
        Feed, on_delete=models.CASCADE, related_name="articles", db_index=False
    )
    entry_key = models.CharField(max_length=512)
    url = models.URLField(max_length=2000, blank=True)
    canonical_url = models.URLField(max_length=2000, blank=True, db_index=True)
    title = models.CharField(max_length=1000)
    summary = models.TextField(blank=True)
    content = models.TextField(blank=True)
    author = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField()
    date_note = models.CharField(
        max_length=10, choices=DateNote.choices, default="", blank=True
    )
    fetched_at = models.DateTimeField(default=timezone.now)
    # Indexed only where the sketches cannot find it (see Meta.indexes).
    content_hash = models.CharField(max_length=64)
    simhash = models.BigIntegerField(default=0)
    # MinHash bins of title and lead, indexed, so near-duplicates are found
    # without reading every recent article (see feeds.clustering).
    sketch_0 = models.IntegerField(default=NO_SKETCH)
    sketch_1 = models.IntegerField(default=NO_SKETCH)
    sketch_2 = models.IntegerField(default=NO_SKETCH)
    sketch_3 = models.IntegerField(default=NO_SKETCH)
    sketch_4 = models.IntegerField(default=NO_SKETCH)
    cluster = models.ForeignKey(
        StoryCluster,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="articles",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "entry_key"], name="article_unique_entry_per_feed"
            )
        ]
        indexes = [
            models.Index(fields=["published_at"], name="article_published_idx"),
            models.Index(fields=["feed", "-published_at"], name="article_feed_pub_idx"),
            models.Index(fields=["sketch_0"], name="article_sketch0_idx"),
            models.Index(fields=["sketch_1"], name="article_sketch1_idx"),
            models.Index(fields=["sketch_2"], name="article_sketch2_idx"),
            models.Index(fields=["sketch_3"], name="article_sketch3_idx"),
            models.Index(fields=["sketch_4"], name="article_sketch4_idx"),
            # Equal content hashes mean equal words, so equal sketches: an
            # article with a sketch finds its verbatim reprints through
            # those. The hash is looked up only for articles too short to
            # have one, and is indexed for them alone: a full index cost
            # every insert about a fifth of the pages its commit wrote.
            # sketch_0 leads so that SQLite's planner, which has no figures
            # on how rare such articles are, prefers this index to the bin's.
            models.Index(
                fields=["sketch_0", "content_hash"],
                condition=models.Q(sketch_0=NO_SKETCH),
                name="article_hash_unsketched_idx",
            ),
        ]
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Annotation(models.Model):
    """One analyst's judgement of an article; the newest one is in force."""

    class Credibility(models.IntegerChoices):
        """Admiralty information credibility."""

        CONFIRMED = 1, "1 - Confirmed by other sources"
        PROBABLY_TRUE = 2, "2 - Probably true"
        POSSIBLY_TRUE = 3, "3 - Possibly true"
        DOUBTFUL = 4, "4 - Doubtful"
        IMPROBABLE = 5, "5 - Improbable"
        CANNOT_JUDGE = 6, "6 - Truth cannot be judged"

    class Relevance(models.IntegerChoices):
        NONE = 0, "Not relevant"
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"

    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="annotations"
    )
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations"
    )
    credibility = models.PositiveSmallIntegerField(
        choices=Credibility.choices, default=Credibility.CANNOT_JUDGE
    )
    relevance = models.PositiveSmallIntegerField(
        choices=Relevance.choices, default=Relevance.MEDIUM
    )
    note = models.TextField(blank=True)
    excluded = models.BooleanField(
        default=False, help_text="Keep this article out of every report."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["article", "-created_at"], name="annotation_latest_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.analyst} on article {self.article_id}"
