"""Topics, reports and their revisions, review, audit and publications."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from feeds.models import Article, Feed, Tlp


class Topic(models.Model):
    """A country or region the desk reports on."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    country_code = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166-1 alpha-2, for maps and places."
    )
    aliases = models.JSONField(
        default=list, blank=True, help_text="Other names: Mongolian, Монгол ..."
    )
    keywords = models.JSONField(
        default=list, blank=True, help_text="Places and terms that mark relevance."
    )
    # Bounding area in degrees, for geographic checks of hotspots.
    area_south = models.FloatField(default=-90)
    area_west = models.FloatField(default=-180)
    area_north = models.FloatField(default=90)
    area_east = models.FloatField(default=180)
    feeds = models.ManyToManyField(Feed, blank=True, related_name="topics")
    cadence_days = models.PositiveSmallIntegerField(
        default=7, help_text="Length of one analysis period, in days."
    )
    drafting_enabled = models.BooleanField(
        default=True, help_text="Draft automatically when a period ends."
    )
    default_tlp = models.CharField(
        max_length=12, choices=Tlp.choices, default=Tlp.CLEAR
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleMatch(models.Model):
    """An article found relevant to a topic by its names and keywords."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="matches")
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="topic_matches"
    )
    score = models.FloatField(default=0)
    matched_terms = models.JSONField(default=list, blank=True)
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "article matches"
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "article"], name="match_unique_topic_article"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}:{self.article_id}"


class Report(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="reports")
    period_start = models.DateField()
    period_end = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    tlp = models.CharField(max_length=12, choices=Tlp.choices, default=Tlp.CLEAR)
    latest_revision = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_revision = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_revision = models.ForeignKey(
        "Revision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_end", "topic__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "period_start", "period_end"],
                name="report_unique_topic_period",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="report_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.topic.name} {self.period_start:%d %b} - {self.period_end:%d %b %Y}"
        )


class Revision(models.Model):
    """An immutable snapshot of a report's content; every save makes one."""

    class Origin(models.TextChoices):
        AI = "ai", "AI draft"
        OFFLINE = "offline", "Offline draft"
        HUMAN = "human", "Human edit"

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="revisions"
    )
    number = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revisions",
    )
    note = models.TextField(blank=True)
    content = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    # Machine drafts only.
    job = models.OneToOneField(
        "GenerationJob",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revision",
    )
    backend = models.CharField(max_length=20, blank=True)
    model_name = models.CharField(max_length=100, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    input_article_ids = models.JSONField(default=list, blank=True)
    usage = models.JSONField(default=dict, blank=True)
    cost_usd = models.DecimalField(
        max_digits=10, decimal_places=6, null=True, blank=True
    )
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "number"], name="revision_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of report {self.report_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("Revisions are immutable; save a new revision instead.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class GenerationJob(models.Model):
    """One request for a machine draft, followed from queue to result."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="jobs")
    period_start = models.DateField()
    period_end = models.DateField()
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, null=True, blank=True, related_name="jobs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    drafter = models.CharField(max_length=20)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    progress_note = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    usage = models.JSONField(default=dict, blank=True)
    selection = models.JSONField(
        default=dict,
        blank=True,
        help_text="What the drafter was given: article ids, background ids, "
        "corroborating reprints, and what was left out and why.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Draft job {self.pk} ({self.state})"


class ReviewComment(models.Model):
    revision = models.ForeignKey(
        Revision, on_delete=models.CASCADE, related_name="comments"
    )
    section = models.CharField(
        max_length=100, help_text="Section path, e.g. key_developments.3"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField()
    resolved = models.BooleanField(default=False)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on {self.section} of revision {self.revision_id}"


class AuditEvent(models.Model):
    """A trace of one save or transition; written in the same transaction."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=40, db_index=True)
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, null=True, blank=True, related_name="audit"
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor}"


class Publication(models.Model):
    """A rendered PDF of one approved revision. Never changed once written."""

    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="publications"
    )
    revision = models.ForeignKey(
        Revision, on_delete=models.PROTECT, related_name="publications"
    )
    pdf = models.FileField(upload_to="publications/")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"Publication {self.pk} of report {self.report_id}"


class Download(models.Model):
    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="downloads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    byte_range = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"Download of {self.publication_id} by {self.user_id}"


class PublicationNotice(models.Model):
    """One follower told of one publication, so a retried task never repeats."""

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="notices"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "user"], name="notice_unique_publication_user"
            )
        ]

    def __str__(self) -> str:
        return f"Notice of {self.publication_id} to {self.user_id}"


class TopicFollow(models.Model):
    """A subscriber's wish to hear of each new publication on a topic."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="follow_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.topic}"


class AccessToken(models.Model):
    """A per-user secret for programs: API tokens and feed-reader tokens.

    Only a SHA-256 of the secret is kept, so a token is shown once, at creation.
    """

    class Kind(models.TextChoices):
        API = "api", "API"
        FEED = "feed", "Atom feed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} token {self.prefix}… of {self.user}"
