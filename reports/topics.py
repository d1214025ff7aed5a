"""Managing topics, and the editors' side of managing feeds.

`topic_create` and `topic_update` keep a topic's rules (slug, area, terms,
cadence, feeds); matching articles again after a change is left to the
receivers in `reports.signals`, which run it once the save commits.
`feed_register`, `feed_change` and `feed_switch` add the role check and an
audit event to `feeds.registry` and `feeds.scheduling`, which know nothing
of roles. The admin and the API call these. Every save of a topic or a
feed that changes something leaves an audit event naming what changed.
"""

import logging
import re
from typing import Any

from django.db import IntegrityError, transaction

from feeds.models import Feed, Tlp
from feeds.registry import EDITABLE as FEED_EDITABLE
from feeds.registry import feed_create, feed_update
from feeds.scheduling import feed_set_enabled
from reports.audit import Action, audit_record
from reports.errors import ValidationFailed
from reports.models import Topic
from reports.roles import Capability, require

logger = logging.getLogger(__name__)

EDITABLE = frozenset(
    {
        "name",
        "slug",
        "country_code",
        "aliases",
        "keywords",
        "area_south",
        "area_west",
        "area_north",
        "area_east",
        "feeds",
        "cadence_days",
        "drafting_enabled",
        "default_tlp",
    }
)
MAX_CADENCE_DAYS = 366
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_SLUG_MAX = Topic._meta.get_field("slug").max_length or 100
_NAME_MAX = Topic._meta.get_field("name").max_length or 200
_TERM_MAX = 200
_TERMS_MAX = 500


# --- Feeds ------------------------------------------------------------------


@transaction.atomic
def feed_register(*, actor: Any, **values: Any) -> Feed:
    """Add a feed as `actor`; see `feeds.registry.feed_create`."""
    require(actor, Capability.MANAGE_FEEDS)
    feed = feed_create(**values)
    settings = {name: getattr(feed, name) for name in sorted(FEED_EDITABLE)}
    audit_record(
        actor=actor,
        action=Action.FEED_ADDED,
        data={"feed_id": feed.pk, "settings": settings},
    )
    return feed


@transaction.atomic
def feed_change(*, actor: Any, feed: Feed, **changes: Any) -> Feed:
    """Change a feed's settings as `actor`; see `feeds.registry.feed_update`.

    The audit event lists each setting that changed, as [before, after].
    """
    require(actor, Capability.MANAGE_FEEDS)
    before = {name: getattr(feed, name) for name in changes if name in FEED_EDITABLE}
    feed = feed_update(feed=feed, **changes)
    _audit_feed_change(actor, feed, before)
    return feed


@transaction.atomic
def feed_switch(*, actor: Any, feed: Feed, enabled: bool) -> Feed:
    """Enable or disable a feed as `actor`; see
    `feeds.scheduling.feed_set_enabled`. Enabling an enabled feed starts its
    health afresh, and is audited too."""
    require(actor, Capability.MANAGE_FEEDS)
    before = {"enabled": feed.enabled}
    feed = feed_set_enabled(feed=feed, enabled=enabled)
    _audit_feed_change(actor, feed, before, always=True)
    return feed


def _audit_feed_change(
    actor: Any, feed: Feed, before: dict[str, Any], *, always: bool = False
) -> None:
    changes = {
        name: [old, getattr(feed, name)]
        for name, old in before.items()
        if always or old != getattr(feed, name)
    }
    if changes:
        audit_record(
            actor=actor,
            action=Action.FEED_CHANGED,
            data={"feed_id": feed.pk, "changes": changes},
        )


# --- Topics -----------------------------------------------------------------


@transaction.atomic
def topic_create(
    *,
    actor: Any,
    name: str,
    slug: str,
    country_code: str = "",
    aliases: list[str] | None = None,
    keywords: list[str] | None = None,
    area_south: float = -90,
    area_west: float = -180,
    area_north: float = 90,
    area_east: float = 180,
    feeds: list[int] | None = None,
    cadence_days: int = 7,
    drafting_enabled: bool = True,
    default_tlp: str = Tlp.CLEAR,
) -> Topic:
    """Add a topic; its articles are matched once the save commits."""
    require(actor, Capability.MANAGE_TOPICS)
    values: dict[str, Any] = {
        "name": name,
        "slug": slug,
        "country_code": country_code,
        "aliases": [] if aliases is None else aliases,
        "keywords": [] if keywords is None else keywords,
        "area_south": area_south,
        "area_west": area_west,
        "area_north": area_north,
        "area_east": area_east,
        "cadence_days": cadence_days,
        "drafting_enabled": drafting_enabled,
        "default_tlp": default_tlp,
    }
    cleaned, feed_ids = topic_check(values, feeds=feeds or [], topic=None)

    topic = Topic(**cleaned)
    _save(topic, update_fields=None)
    topic.feeds.set(feed_ids or [])
    audit_record(
        actor=actor,
        action=Action.TOPIC_ADDED,
        data={
            "topic_id": topic.pk,
            "settings": {**cleaned, "feeds": sorted(feed_ids or [])},
        },
    )
    logger.info("topic added topic_id=%s slug=%s", topic.pk, topic.slug)
    return topic


@transaction.atomic
def topic_update(*, actor: Any, topic: Topic, **changes: Any) -> Topic:
    """Change a topic; matches are recomputed once the save commits."""
    require(actor, Capability.MANAGE_TOPICS)
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        raise ValidationFailed(
            "These topic settings cannot be changed.",
            problems=[f"{name} is not a topic setting." for name in unknown],
        )
    feeds = changes.pop("feeds", None)

    # The area is checked as a whole, so unchanged edges count too.
    area = {k: getattr(topic, k) for k in _AREA if k not in changes}
    cleaned, feed_ids = topic_check({**area, **changes}, feeds=feeds, topic=topic)
    # Each changed setting as [before, after], for the audit event.
    seen = {
        k: [getattr(topic, k), value]
        for k, value in cleaned.items()
        if getattr(topic, k) != value
    }
    changed = list(seen)
    for name in changed:
        setattr(topic, name, cleaned[name])
    if changed:
        _save(topic, update_fields=changed)
    if feed_ids is not None:
        had = sorted(topic.feeds.values_list("pk", flat=True))
        if had != sorted(feed_ids):
            seen["feeds"] = [had, sorted(feed_ids)]
        topic.feeds.set(feed_ids)
    if seen:
        audit_record(
            actor=actor,
            action=Action.TOPIC_CHANGED,
            data={"topic_id": topic.pk, "changes": seen},
        )
    logger.info(
        "topic changed topic_id=%s fields=%s feeds=%s",
        topic.pk,
        ",".join(changed),
        feed_ids is not None,
    )
    return topic


def _save(topic: Topic, *, update_fields: list[str] | None) -> None:
    # Another editor may take the slug between the check and the save.
    try:
        with transaction.atomic():
            topic.save(update_fields=update_fields)
    except IntegrityError:
        raise ValidationFailed(
            "The topic was not saved.",
            problems=[f"The slug {topic.slug} is already used by another topic."],
        ) from None


_AREA = ("area_south", "area_west", "area_north", "area_east")


def topic_check(
    values: dict[str, Any], *, feeds: Any, topic: Topic | None
) -> tuple[dict[str, Any], list[int] | None]:
    """The values tidied and the feed ids, or ValidationFailed with every
    problem found. Forms call it to show the problems before saving."""
    problems: list[str] = []
    cleaned: dict[str, Any] = {}

    if "name" in values:
        name = values["name"].strip() if isinstance(values["name"], str) else ""
        if not name:
            problems.append("The topic needs a name.")
        elif len(name) > _NAME_MAX:
            problems.append(f"The name is longer than {_NAME_MAX} characters.")
        cleaned["name"] = name

    if "slug" in values:
        problems.extend(_slug_problems(values["slug"], topic=topic))
        cleaned["slug"] = values["slug"]

    if "country_code" in values:
        code = values["country_code"]
        if not isinstance(code, str) or not re.fullmatch(r"([A-Za-z]{2})?", code):
            problems.append("The country code must be two letters (ISO 3166-1).")
        else:
            cleaned["country_code"] = code.upper()

    for field, what in (("aliases", "Aliases"), ("keywords", "Keywords")):
        if field in values:
            terms, problem = _terms(values[field], what=what)
            if problem:
                problems.append(problem)
            cleaned[field] = terms

    if any(edge in values for edge in _AREA):
        area, area_problems = _area(values)
        problems.extend(area_problems)
        cleaned.update(area)

    if "cadence_days" in values:
        days = values["cadence_days"]
        if (
            not isinstance(days, int)
            or isinstance(days, bool)
            or not 1 <= days <= MAX_CADENCE_DAYS
        ):
            problems.append(
                f"The cadence must be a whole number of days, 1 to {MAX_CADENCE_DAYS}."
            )
        cleaned["cadence_days"] = days

    if "drafting_enabled" in values:
        if not isinstance(values["drafting_enabled"], bool):
            problems.append("drafting_enabled must be true or false.")
        cleaned["drafting_enabled"] = values["drafting_enabled"]

    if "default_tlp" in values:
        if values["default_tlp"] not in Tlp.values:
            problems.append(
                "The default TLP must be one of: " + ", ".join(Tlp.values) + "."
            )
        cleaned["default_tlp"] = values["default_tlp"]

    feed_ids, feed_problem = _feed_ids(feeds)
    if feed_problem:
        problems.append(feed_problem)

    if problems:
        raise ValidationFailed("The topic was not saved.", problems=problems)
    return cleaned, feed_ids


def _slug_problems(slug: Any, *, topic: Topic | None) -> list[str]:
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
        return [
            "The slug must be lower-case letters, digits and single hyphens, "
            "e.g. north-korea."
        ]
    if len(slug) > _SLUG_MAX:
        return [f"The slug is longer than {_SLUG_MAX} characters."]
    others = Topic.objects.filter(slug=slug)
    if topic is not None:
        others = others.exclude(pk=topic.pk)
    if others.exists():
        return [f"The slug {slug} is already used by another topic."]
    return []


def _terms(value: Any, *, what: str) -> tuple[list[str], str | None]:
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        return [], f"{what} must be a list of words or phrases."
    terms = [t.strip() for t in value]
    if not all(terms):
        return [], f"{what} must not contain empty entries."
    if len(terms) > _TERMS_MAX or any(len(t) > _TERM_MAX for t in terms):
        return [], (
            f"{what} may hold at most {_TERMS_MAX} entries of at most "
            f"{_TERM_MAX} characters each."
        )
    return list(dict.fromkeys(terms)), None


def _area(values: dict[str, Any]) -> tuple[dict[str, float], list[str]]:
    edges: dict[str, float] = {}
    for edge in _AREA:
        value = values.get(edge)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return {}, [f"{edge} must be a number of degrees."]
        edges[edge] = float(value)

    problems = []
    if not -90 <= edges["area_south"] < edges["area_north"] <= 90:
        problems.append(
            "The area's south edge must lie below its north edge, within -90 to 90."
        )
    if not -180 <= edges["area_west"] < edges["area_east"] <= 180:
        problems.append(
            "The area's west edge must lie west of its east edge, within -180 to 180."
        )
    return edges, problems


def _feed_ids(feeds: Any) -> tuple[list[int] | None, str | None]:
    if feeds is None:
        return None, None
    if not isinstance(feeds, list | tuple) or not all(
        isinstance(f, int) and not isinstance(f, bool) for f in feeds
    ):
        return None, "Feeds must be a list of feed ids."
    wanted = set(feeds)
    # Ids beyond a database key cannot exist; asking for them would fail.
    possible = {f for f in wanted if 0 < f < 2**63}
    found = set(Feed.objects.filter(pk__in=possible).values_list("pk", flat=True))
    missing = sorted(wanted - found)
    if missing:
        listed = ", ".join(str(pk) for pk in missing)
        return None, f"There is no feed with the id {listed}."
    return sorted(wanted), None
