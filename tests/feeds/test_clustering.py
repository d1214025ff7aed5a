import datetime as dt
import hashlib
import random
import re
import string
import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from feeds.clustering import _bins, distance, fingerprints, simhash, sketch, words_of
from feeds.models import NO_SKETCH, Article, Feed, StoryCluster
from feeds.parsing import ParsedEntry, entry_keys
from feeds.storing import _article
from tests.factories import make_feed, store_entries
from tests.services import need_postgres

DAY = dt.datetime(2026, 5, 8, 9, tzinfo=dt.UTC)
LEAD = (
    "A report published on 8 May finds that Mongolia has the legal pieces of "
    "a cybersecurity system in place: a 2021 cybersecurity law, national "
    "incident response teams and a coordinating council. But compliance among "
    "the organisations the law obliges was very low in 2025."
)


def _entry(n: int, title: str, summary: str, **fields: Any) -> ParsedEntry:
    values: dict[str, Any] = {
        "guid": f"g{n}",
        "link": f"https://outlet{n}.example/{n}",
        "title": title,
        "summary": summary,
        "content": "",
        "author": "",
        "published": DAY,
    }
    values.update(fields)
    return ParsedEntry(**values)


def _store(feed: Feed, *entries: ParsedEntry) -> list[Article]:
    keys, _ = entry_keys(list(entries), mode=feed.entry_key_mode)
    fetched = DAY + dt.timedelta(days=30)
    ids = store_entries(feed, list(entries), keys, fetched_at=fetched)
    return list(Article.objects.filter(pk__in=ids))


@pytest.mark.django_db
def test_it_groups_a_reprint_from_another_outlet_into_one_cluster() -> None:
    (first,) = _store(
        make_feed(), _entry(1, "Report finds low compliance with cyber law", LEAD)
    )
    (reprint,) = _store(
        make_feed(),
        _entry(
            2,
            "Cyber law sees low compliance, report finds",
            LEAD.replace("very low", "extremely low"),
            published=DAY + dt.timedelta(hours=5),
        ),
    )

    first.refresh_from_db()
    assert first.cluster is not None
    assert reprint.cluster_id == first.cluster_id
    cluster = StoryCluster.objects.get(pk=first.cluster.pk)
    assert cluster.article_count == 2
    assert cluster.first_published_at == DAY
    assert cluster.last_published_at == DAY + dt.timedelta(hours=5)


@pytest.mark.django_db
def test_it_keeps_different_stories_apart() -> None:
    (cyber,) = _store(make_feed(), _entry(1, "Low compliance with cyber law", LEAD))
    (other,) = _store(
        make_feed(),
        _entry(
            2,
            "UN rights chief praises Mongolia",
            "Visiting Ulaanbaatar on 10 May, the UN High Commissioner for Human "
            "Rights commended the country for its law protecting human rights "
            "defenders, and heard that corruption is the biggest bottleneck.",
        ),
    )

    assert cyber.cluster_id is None
    assert other.cluster_id is None
    assert StoryCluster.objects.count() == 0


@pytest.mark.django_db
def test_it_does_not_group_a_story_repeated_outside_the_window() -> None:
    (first,) = _store(make_feed(), _entry(1, "Low compliance with cyber law", LEAD))
    (late,) = _store(
        make_feed(),
        _entry(
            2,
            "Low compliance with cyber law",
            LEAD + " Repeated.",
            published=DAY + dt.timedelta(days=10),
        ),
    )

    first.refresh_from_db()
    assert late.cluster_id is None
    assert first.cluster_id is None


@pytest.mark.django_db
def test_it_groups_the_same_link_carried_by_two_feeds() -> None:
    (one,) = _store(make_feed(), _entry(1, "Short", "Tiny", link="https://a.example/x"))
    (two,) = _store(
        make_feed(), _entry(2, "Other", "Words", link="https://a.example/x?utm_x=1")
    )

    one.refresh_from_db()
    assert one.cluster_id is not None
    assert one.cluster_id == two.cluster_id


@pytest.mark.django_db
def test_it_groups_a_verbatim_reprint_found_through_its_sketch() -> None:
    (first,) = _store(make_feed(), _entry(1, "Low compliance with cyber law", LEAD))
    (copy,) = _store(
        make_feed(),
        _entry(
            2,
            "LOW  compliance with cyber law",
            LEAD.upper(),
            published=DAY + dt.timedelta(hours=2),
        ),
    )

    first.refresh_from_db()
    assert copy.content_hash == first.content_hash
    assert copy.sketch_0 == first.sketch_0 != NO_SKETCH
    assert first.cluster_id is not None
    assert copy.cluster_id == first.cluster_id


@pytest.mark.django_db
def test_it_groups_a_story_too_short_for_a_sketch_by_its_hash() -> None:
    (first,) = _store(make_feed(), _entry(1, "Ulaanbaatar floods", ""))
    (copy,) = _store(
        make_feed(),
        _entry(2, "Ulaanbaatar  FLOODS", "", published=DAY + dt.timedelta(hours=1)),
    )
    (other,) = _store(
        make_feed(),
        _entry(3, "Darkhan floods", "", published=DAY + dt.timedelta(hours=1)),
    )

    first.refresh_from_db()
    assert first.sketch_0 == copy.sketch_0 == NO_SKETCH
    assert first.cluster_id is not None
    assert copy.cluster_id == first.cluster_id
    assert other.cluster_id is None


@pytest.mark.django_db
@pytest.mark.embedded
def test_it_looks_hashes_up_in_the_index_of_articles_without_a_sketch() -> None:
    _store(make_feed(), _entry(1, "Ulaanbaatar floods", ""))
    lookups: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "sketch_0 = -1 AND content_hash IN" in sql:
            lookups.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        (copy,) = _store(make_feed(), _entry(2, "Ulaanbaatar floods", ""))

    (sql, params) = lookups[0]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        else:
            # PostgreSQL plans by its figures, and would rightly read a
            # table this small through the date; the hash test on its own
            # shows that the partial index serves it.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(
                "EXPLAIN SELECT id FROM feeds_article"
                " WHERE sketch_0 = -1 AND content_hash IN (%s)",
                [copy.content_hash],
            )
        plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
    assert "article_hash_unsketched_idx" in plan, plan


@given(
    title=st.text(max_size=120),
    summary=st.text(max_size=3000) | st.text(alphabet="ab ,", max_size=3000),
    spaces=st.sampled_from([" ", "  ", "\n", " \t "]),
)
@example(title="t", summary="a " * 990 + "bb cc dd ee ff", spaces="  ")
@settings(max_examples=400, deadline=None)
def test_it_gives_equal_sketches_to_equal_content_hashes(
    title: str, summary: str, spaces: str
) -> None:
    """Why only articles without a sketch are looked up by their hash."""
    feed = Feed(pk=1)
    when = DAY + dt.timedelta(days=1)
    one = _article(feed, "k1", _entry(1, title, summary), when)
    other = _article(
        feed,
        "k2",
        _entry(2, spaces.join(title.upper().split()), spaces.join(summary.split())),
        when,
    )
    assume(one.content_hash == other.content_hash)

    assert _bins(one) == _bins(other)
    assert one.simhash == other.simhash


@pytest.mark.django_db
def test_it_groups_reprints_within_one_batch() -> None:
    feed = make_feed()
    first, second = _store(
        feed,
        _entry(1, "Low compliance with cyber law", LEAD),
        _entry(2, "Low compliance with the cyber law", LEAD),
    )

    assert first.cluster_id is not None
    assert first.cluster_id == second.cluster_id
    assert StoryCluster.objects.get().article_count == 2


@pytest.mark.django_db
def test_it_never_deletes_a_cluster_or_an_article_when_grouping() -> None:
    _store(make_feed(), _entry(1, "Low compliance with cyber law", LEAD))
    _store(make_feed(), _entry(2, "Cyber law: low compliance", LEAD))

    _store(make_feed(), _entry(3, "Cyber law compliance is low", LEAD))

    assert Article.objects.count() == 3
    assert Article.objects.filter(cluster__isnull=True).count() == 0
    assert StoryCluster.objects.get().article_count == 3


def test_it_hashes_near_duplicates_close_and_others_far() -> None:
    same = words_of("Low compliance with cyber law", LEAD)
    near = words_of("Cyber law sees low compliance", LEAD.replace("very", "quite"))
    far = words_of("Coal trucks queue at the border", "Long lines of trucks formed.")

    assert distance(simhash(same), simhash(near)) <= 8
    assert distance(simhash(same), simhash(far)) > 8
    assert sum(a == b for a, b in zip(sketch(same), sketch(near), strict=True)) >= 2
    assert simhash(["too", "few"]) == 0


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab cd-éМонг_1,\n'", max_size=40),
    st.text(alphabet="ab cd-éМонг_1,\n'", max_size=3000),
)
def test_it_compares_stories_on_their_first_words_of_two_letters_or_more(
    title: str, lead: str
) -> None:
    every_word = re.findall(r"\w+", f"{title} {lead}".casefold())
    assert words_of(title, lead) == [w for w in every_word if len(w) > 1][:80]


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=string.printable, max_size=40),
    st.text(alphabet=string.printable, max_size=3000),
)
def test_it_finds_the_same_words_in_ascii_text(title: str, lead: str) -> None:
    every_word = re.findall(r"\w+", f"{title} {lead}".casefold())
    assert words_of(title, lead) == [w for w in every_word if len(w) > 1][:80]


def _majority_hash(words: list[str]) -> int:
    """SimHash by its definition: bit i is set when more than half of the
    words' 64-bit hashes have it."""
    digests = [
        int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
        for w in words
    ]
    return sum(
        1 << bit
        for bit in range(64)
        if sum(d >> bit & 1 for d in digests) > len(words) // 2
    )


@pytest.mark.parametrize("count", [5, 6, 7, 80, 81, 253, 254, 255, 256, 600])
def test_it_sets_each_simhash_bit_that_most_word_hashes_set(count: int) -> None:
    rng = random.Random(count)
    # Few distinct words, so that many bits sit at the majority's edge.
    words = [rng.choice(["ab", "cd", "ef", "gh", "ij", "Монгол"]) for _ in range(count)]
    assert simhash(words) == _majority_hash(words)


def _sketch_by_definition(words: list[str]) -> tuple[int, ...]:
    """MinHash by its definition: each triple of the first 40 words hashed
    as A*h1 + B*h2 + h3 (bits 17 to 47), and per bin the least of the
    hashes XORed with the bin's salt."""
    digests = [
        int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
        for w in words[:40]
    ]
    if len(digests) < 5:
        return (NO_SKETCH,) * 5
    triples = [
        (0x9E3779B97F4A7C15 * a + 0xC2B2AE3D27D4EB4F * b + c) >> 17 & (2**31 - 1)
        for a, b, c in zip(digests, digests[1:], digests[2:], strict=False)
    ]
    salts = (0x2545F491, 0x4F6CDD1D, 0x1B873593, 0x68E31DA4, 0x3C6EF372)
    return tuple(min(salt ^ triple for triple in triples) for salt in salts)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(["ab", "cd", "Монгол", "steppe", "ulaanbaatar", "x" * 30])
        | st.text(min_size=2, max_size=12),
        max_size=90,
    )
)
@example([])
@example(["ab", "cd", "ef", "gh"])
@example(["ab", "cd", "ef", "gh", "ij"])
def test_it_sketches_the_first_words_by_the_definition(words: list[str]) -> None:
    assert sketch(words) == _sketch_by_definition(words)
    assert fingerprints(words)[1] == _sketch_by_definition(words)


def test_it_gives_the_simhash_and_the_sketch_from_one_lookup() -> None:
    words = words_of("Low compliance with cyber law", LEAD)
    assert fingerprints(words) == (simhash(words), sketch(words))
    assert fingerprints(["too", "few"]) == (0, sketch(["too", "few"]))


@pytest.mark.django_db(transaction=True)
def test_it_groups_reprints_stored_by_two_workers_at_the_same_moment() -> None:
    need_postgres()
    feeds = [make_feed(), make_feed()]
    entries = [
        _entry(1, "Report finds low compliance with cyber law", LEAD),
        _entry(2, "Cyber law sees low compliance, report finds", LEAD),
    ]
    first_stored = threading.Event()

    def worker(index: int) -> None:
        try:
            if index == 1:
                first_stored.wait(timeout=10)
            with transaction.atomic():
                _store(feeds[index], entries[index])
                if index == 0:
                    # Hold the first worker's transaction open while the
                    # second one stores its retelling of the same story.
                    first_stored.set()
                    time.sleep(0.5)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    clusters = set(Article.objects.values_list("cluster_id", flat=True))
    assert Article.objects.count() == 2
    assert len(clusters) == 1
    assert None not in clusters
