"""Prompt-size benchmark: what selection saves against a naive prompt.

Runs standalone: `.venv/bin/python bench/prompt.py` sets up Django on a
throwaway SQLite file and measures, in one run, for two weeks:

- the demo week (7-14 May 2026 of the bundled demo feeds, loaded through the
  real fetcher over loopback);
- a synthetic week of 300 full-length articles from 12 outlets, 30% of them
  reprints of another outlet's story (clustered, as the fetcher clusters
  them).

For each: the naive prompt (the same instructions and tool, then every
article the topic's feeds carried in the period, full text, no dedupe, no
trimming) against the desk's prompt (`prompt_for(selection_for(...))`), and
the share of the period's story clusters that reach the prompt.

Token counts are ESTIMATED OFFLINE (UTF-8 bytes / 4, `estimate_tokens`):
Claude's token counter needs the network, which this machine does not have.
Both sides use the same estimate, so the ratio is what matters.

Target: desk prompt <= 40% of the naive one, with every cluster kept.
"""

import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEED = 20260507
ARTICLES = 300
REPRINT_SHARE = 0.30
OUTLETS = 12
START, END = dt.date(2026, 5, 7), dt.date(2026, 5, 14)

WORDS = [
    "government",
    "ministry",
    "officials",
    "border",
    "security",
    "exercise",
    "troops",
    "minister",
    "agreement",
    "cooperation",
    "report",
    "analysts",
    "region",
    "capital",
    "province",
    "election",
    "parliament",
    "protest",
    "police",
    "investigation",
    "cyber",
    "attack",
    "network",
    "espionage",
    "pipeline",
    "energy",
    "mining",
    "copper",
    "coal",
    "railway",
    "trade",
    "sanctions",
    "neighbours",
    "delegation",
    "visit",
    "talks",
    "statement",
    "spokesman",
    "defence",
    "army",
    "training",
    "drills",
    "weather",
    "herders",
    "livestock",
    "road",
    "traffic",
    "customs",
    "smuggling",
    "court",
    "ruling",
    "corruption",
    "inquiry",
    "budget",
    "economy",
    "inflation",
    "currency",
    "investment",
    "bank",
    "railway",
    "airport",
    "flights",
    "tourism",
    "festival",
    "university",
    "students",
    "teachers",
]
PLACES = ["Ulaanbaatar", "Erdenet", "Darkhan", "Choibalsan", "Khovd", "Saynshand"]


def setup_django() -> str:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osint.settings")
    os.environ.setdefault("LOG_LEVEL", "warning")
    os.environ.pop("CELERY_BROKER_URL", None)
    path = Path(tempfile.mkdtemp(prefix="bench-prompt-")) / "bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return f"throwaway SQLite {path}"


def _paragraphs(rng: random.Random, place: str) -> str:
    sentences = []
    for _ in range(rng.randint(28, 40)):
        words = rng.choices(WORDS, k=rng.randint(12, 22))
        if rng.random() < 0.2:
            words.insert(rng.randrange(len(words)), place)
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def build_synthetic_week() -> Any:
    """300 matched articles over the week; 30% are reprints of a story."""
    from feeds.models import Article, Feed, StoryCluster
    from reports.models import ArticleMatch, Topic

    rng = random.Random(SEED)
    topic = Topic.objects.create(
        name="Synthetic",
        slug="synthetic",
        country_code="MN",
        area_south=41.5,
        area_west=87.7,
        area_north=52.2,
        area_east=119.9,
    )
    feeds = [
        Feed.objects.create(
            url=f"http://127.0.0.1:9/bench-{n}.xml",
            title=f"Outlet {n}",
            reliability="ABCDEF"[n % 6],
        )
        for n in range(OUTLETS)
    ]
    topic.feeds.add(*feeds)

    originals = round(ARTICLES * (1 - REPRINT_SHARE))
    stories: list[dict[str, Any]] = []
    for n in range(originals):
        published = dt.datetime.combine(
            START, dt.time(6), tzinfo=dt.UTC
        ) + dt.timedelta(minutes=rng.randrange((8 * 24 - 8) * 60))
        place = rng.choice(PLACES)
        stories.append(
            {
                "title": f"Story {n}: " + " ".join(rng.choices(WORDS, k=8)),
                "text": _paragraphs(rng, place),
                "published": published,
                "feed": rng.choice(feeds),
            }
        )
    for story in stories:
        story["cluster"] = StoryCluster.objects.create(
            first_published_at=story["published"], last_published_at=story["published"]
        )

    rows = []
    for n, story in enumerate(stories):
        rows.append((story, story["feed"], story["text"], n))
    for n in range(ARTICLES - originals):
        story = rng.choice(stories)
        outlet = rng.choice([f for f in feeds if f != story["feed"]])
        rows.append((story, outlet, story["text"] + f" Reported by {outlet.title}.", n))

    articles = Article.objects.bulk_create(
        [
            Article(
                feed=feed,
                entry_key=f"bench-{i}",
                url=f"https://bench.example/{i}",
                canonical_url=f"https://bench.example/{i}",
                title=story["title"],
                summary=text[:200],
                content=text,
                published_at=story["published"] + dt.timedelta(minutes=i % 90),
                content_hash=f"{i:064x}",
                cluster=story["cluster"],
            )
            for i, (story, feed, text, _) in enumerate(rows)
        ]
    )
    ArticleMatch.objects.bulk_create(
        [ArticleMatch(topic=topic, article=a, score=0.7) for a in articles]
    )
    return topic


def build_demo_week() -> Any:
    from reports.demo.feeds import demo_feeds
    from reports.models import Topic

    demo_feeds()
    return Topic.objects.get(slug="mongolia")


def measure(topic: Any, start: dt.date, end: dt.date) -> dict[str, Any]:
    from feeds.models import Article
    from reports.drafting.prompt import naive_prompt_tokens, prompt_for
    from reports.selection import estimate_tokens, period_bounds, selection_for

    begin, finish = period_bounds(start, end)
    carried = list(
        Article.objects.filter(
            feed__in=topic.feeds.all(),
            published_at__gte=begin,
            published_at__lt=finish,
        )
        .select_related("feed")
        .order_by("published_at", "id")
    )

    started = time.perf_counter()
    selection = selection_for(topic=topic, period_start=start, period_end=end)
    prompt = prompt_for(selection)
    desk_ms = (time.perf_counter() - started) * 1000

    tool_tokens = estimate_tokens(json.dumps(prompt.tool["input_schema"]))
    naive = naive_prompt_tokens(carried) + tool_tokens
    desk = prompt.estimated_tokens
    in_period_clusters = {
        a.cluster_id or f"a{a.pk}"
        for a in carried
        if a.topic_matches.filter(topic=topic).exists()
    }
    kept = set()
    for source in selection.sources:
        for article in [source.article, *source.corroborated_by]:
            kept.add(article.cluster_id or f"a{article.pk}")
    return {
        "articles": len(carried),
        "clusters": len(in_period_clusters),
        "kept": len(in_period_clusters & kept),
        "given": len(selection.sources),
        "background": sum(1 for s in selection.sources if s.background),
        "trimmed": sum(1 for s in selection.sources if s.trimmed),
        "dropped": len(selection.dropped_for_budget),
        "naive": naive,
        "desk": desk,
        "desk_ms": desk_ms,
    }


def main() -> None:
    where = setup_django()
    from django.conf import settings

    rows = [
        ("demo week 7-14 May", measure(build_demo_week(), START, END)),
        ("synthetic 300, 30% reprints", measure(build_synthetic_week(), START, END)),
    ]

    print(f"Prompt size, desk selection vs naive prompt ({where})")
    print("Tokens ESTIMATED OFFLINE (UTF-8 bytes / 4); same instructions and tool")
    print(
        f"on both sides; budget OSINT_PROMPT_TOKEN_BUDGET={settings.OSINT_PROMPT_TOKEN_BUDGET}."
    )
    print()
    header = (
        f"{'week':<30} {'articles':>8} {'naive tok':>10} {'desk tok':>9} "
        f"{'ratio':>6} {'clusters kept':>14} {'given':>6} {'trimmed':>8} "
        f"{'select ms':>9}"
    )
    print(header)
    print("-" * len(header))
    for name, r in rows:
        ratio = r["desk"] / r["naive"]
        kept = f"{r['kept']}/{r['clusters']}"
        print(
            f"{name:<30} {r['articles']:>8} {r['naive']:>10} {r['desk']:>9} "
            f"{ratio:>6.0%} {kept:>14} {r['given']:>6} {r['trimmed']:>8} "
            f"{r['desk_ms']:>9.0f}"
        )
    print()
    for name, r in rows:
        ratio = r["desk"] / r["naive"]
        every = r["kept"] == r["clusters"] and r["dropped"] == 0
        verdict = "meets" if ratio <= 0.40 and every else "MISSES"
        print(
            f"{name}: {verdict} the target (<= 40% of naive, every cluster kept): "
            f"{ratio:.0%}, {r['kept']}/{r['clusters']} clusters, "
            f"{r['background']} background sources added, {r['dropped']} dropped."
        )


if __name__ == "__main__":
    main()
