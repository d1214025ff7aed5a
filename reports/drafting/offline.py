"""The `offline` drafter: a complete draft by fixed rules, with no network.

It extracts; it never writes claims of its own. Developments are the top
stories (their title, their lead sentences, their outlets); the prose
sections are the sources' own sentences on each theme, attributed; hotspots
are places of the topic's area named in the sources; the threat level comes
from the rule in `threat_level_by_rule()`. The same selection always gives
the same draft.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass

from feeds.models import Article
from reports.content import THREAT_ORDER, parse_content
from reports.drafting.base import DraftFailed, DraftResult
from reports.drafting.checks import draft_flags, draft_problems
from reports.drafting.gazetteer import Gazetteer, Place, gazetteer_for
from reports.selection import SelectedArticle, Selection, article_text

PROMPT_VERSION = "offline-1"
MAX_DEVELOPMENTS = 8
MAX_HOTSPOTS = 5
LEAD_WORDS = 90
# Word overlap (Jaccard) at which two texts are taken to tell one story.
SAME_STORY = 0.3

NOTE = (
    "Offline draft: assembled by fixed rules from the cited articles' own "
    "sentences. No AI wrote this text; an editor must read and rewrite it."
)

# Terms that signal each threat level, matched as whole words. The rule: the
# highest level whose terms appear in at least two stories of the period; a
# level seen in only one story lifts the result by one step at most, from
# guarded. No security term at all is "low".
THREAT_SIGNALS: dict[str, tuple[str, ...]] = {
    "critical": (
        "armed conflict",
        "invasion",
        "martial law",
        "state of emergency",
        "coup",
        "civil war",
    ),
    "high": (
        "killed",
        "casualties",
        "explosion",
        "bombing",
        "terrorist attack",
        "armed attack",
        "clashes",
        "riot",
        "shooting",
        "deadly",
    ),
    "elevated": (
        "espionage",
        "cyberattack",
        "cyber attack",
        "APT",
        "hackers",
        "malware",
        "breach",
        "protest",
        "protests",
        "sanctions",
        "incursion",
        "smuggling",
        "live fire",
    ),
    "guarded": (
        "security",
        "military",
        "defence",
        "defense",
        "border",
        "police",
        "intelligence",
        "exercise",
        "drills",
        "cybersecurity",
    ),
}
MIN_STORIES_FOR_LEVEL = 2

_THEMES: dict[str, tuple[str, ...]] = {
    "geopolitical": (
        "China",
        "Chinese",
        "Russia",
        "Russian",
        "United States",
        "U.S.",
        "diplomatic",
        "diplomacy",
        "foreign minister",
        "partnership",
        "neighbour",
        "neighbor",
        "ambassador",
        "pipeline",
        "bilateral",
        "UN",
        "relations",
    ),
    "military": (
        "military",
        "armed forces",
        "army",
        "exercise",
        "exercises",
        "drill",
        "drills",
        "troops",
        "defence",
        "defense",
        "border",
        "peacekeeping",
        "soldiers",
    ),
    "future": (
        "will",
        "scheduled",
        "planned",
        "plans",
        "upcoming",
        "expected",
        "next week",
        "next month",
    ),
}

# Sentences that address a model rather than a reader are left out of prose.
_INJECTION = re.compile(
    r"ignore (all |any )?(previous|prior|above) instructions|system prompt|"
    r"you are (now )?an? (ai|assistant|language model)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(A-ZА-ЯЁ0-9])")
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_MENTION = re.compile(
    rf"\b(?:(?P<day1>\d{{1,2}})\s+)?(?P<month>{_MONTH_NAMES})\.?"
    rf"(?:\s+(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?)?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b"
    r"|\bin\s+(?P<bare_year>(?:19|20)\d\d)\b",
    re.IGNORECASE,
)


def _words_pattern(terms: tuple[str, ...], *, ignore_case: bool) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", flags)


# Acronyms (APT, UN, U.S.) must match in capitals; the rest in any case.
_SIGNAL_PATTERNS = {
    level: (
        _words_pattern(tuple(t for t in terms if not t.isupper()), ignore_case=True),
        _words_pattern(
            tuple(t for t in terms if t.isupper()) or ("\0",), ignore_case=False
        ),
    )
    for level, terms in THREAT_SIGNALS.items()
}
_THEME_PATTERNS = {
    theme: (
        _words_pattern(tuple(t for t in terms if not t.isupper()), ignore_case=True),
        _words_pattern(
            tuple(t for t in terms if t.isupper()) or ("\0",), ignore_case=False
        ),
    )
    for theme, terms in _THEMES.items()
}


def _matches(patterns: tuple[re.Pattern[str], re.Pattern[str]], text: str) -> set[str]:
    found: set[str] = set()
    for pattern in patterns:
        found.update(m.group(0).lower() for m in pattern.finditer(text))
    return found


def sentences(text: str) -> list[str]:
    cleaned = text.replace("[…]", " ").replace("\n", " ")
    parts = _SENTENCE_END.split(" ".join(cleaned.split()))
    return [
        p.strip() for p in parts if len(p.strip()) > 20 and not _INJECTION.search(p)
    ]


def content_words(text: str) -> set[str]:
    """Lower-cased words of four letters or more: what two tellings of one
    story share even in different words around them."""
    return {w for w in re.findall(r"\w{4,}", text.lower()) if not w.isdigit()}


def similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def distinct_stories(
    stories: list[SelectedArticle],
) -> list[tuple[SelectedArticle, list[SelectedArticle]]]:
    """Stories in rank order, each with the retellings folded into it.

    Story clusters fold reprints; outlets that retell a story in their own
    words can still land in separate clusters, and a draft listing the same
    event four times reads badly. A retelling is cited beside the story.
    """
    kept: list[tuple[SelectedArticle, set[str], list[SelectedArticle]]] = []
    for story in stories:
        words = content_words(
            f"{story.article.title} {lead(article_text(story.article))}"
        )
        twin = next((k for k in kept if similarity(words, k[1]) >= SAME_STORY), None)
        if twin is not None:
            twin[2].append(story)
            continue
        kept.append((story, words, []))
    return [(story, retellings) for story, _, retellings in kept]


def day_month(when: dt.datetime | dt.date) -> str:
    return f"{when.day} {when:%B}"


def attributed(sentence: str, article: Article) -> str:
    """The sentence with its outlet and date before the final stop."""
    body = sentence.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else "."
    body = body.rstrip(".!?")
    return f"{body} ({article.feed}, {day_month(article.published_at)}){end}"


def lead(text: str, *, words: int = LEAD_WORDS) -> str:
    """The first sentences of a text, up to about `words` words."""
    chosen: list[str] = []
    count = 0
    for sentence in sentences(text):
        chosen.append(sentence)
        count += len(sentence.split())
        if count >= words:
            break
    return " ".join(chosen)


def mentions_outside_period(text: str, *, start: dt.date, end: dt.date) -> bool:
    """Whether the dates a text names all lie before the period.

    Month-and-day mentions without a year take the period's year; "in 2025"
    counts as that whole year. Future dates (an exercise announced for next
    month) count as in the period: the announcement is this period's news.
    """
    before = inside = 0
    for match in _DATE_MENTION.finditer(text):
        if match.group("bare_year"):
            year = int(match.group("bare_year"))
            first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        else:
            month = _MONTHS[match.group("month").lower()]
            year = int(match.group("year") or start.year)
            day = match.group("day1") or match.group("day2")
            if day and 1 <= int(day) <= 28 + 3:
                try:
                    first = last = dt.date(year, month, int(day))
                except ValueError:
                    continue
            else:
                first = dt.date(year, month, 1)
                last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(1)
        if last < start:
            before += 1
        elif first <= end:
            inside += 1
    return before > 0 and inside == 0


def threat_level_by_rule(
    stories: list[SelectedArticle],
) -> tuple[str, dict[str, list[int]], dict[str, set[str]]]:
    """The level, and for each level the stories and terms that signalled it."""
    hits: dict[str, list[int]] = defaultdict(list)
    terms: dict[str, set[str]] = defaultdict(set)
    for story in stories:
        if story.background:
            continue
        text = f"{story.article.title}. {article_text(story.article)}"
        for level, patterns in _SIGNAL_PATTERNS.items():
            found = _matches(patterns, text)
            if found:
                hits[level].append(story.id)
                terms[level].update(found)

    level = "low"
    for candidate in reversed(THREAT_ORDER):
        if len(hits.get(candidate, [])) >= MIN_STORIES_FOR_LEVEL:
            level = candidate
            break
    if level == "low" and hits:
        level = "guarded"
    # A single story of a higher level lifts the result one step, no more.
    higher = [
        lvl
        for lvl in THREAT_ORDER[THREAT_ORDER.index(level) + 1 :]
        if len(hits.get(lvl, [])) == 1
    ]
    if higher and level != "low":
        level = THREAT_ORDER[THREAT_ORDER.index(level) + 1]
    return level, dict(hits), dict(terms)


@dataclass
class _Hotspot:
    place: Place
    label: str
    story_ids: list[int]
    titles: list[str]


class OfflineDrafter:
    name = "offline"

    def draft(self, selection: Selection) -> DraftResult:
        stories = selection.sources
        level, hits, terms = threat_level_by_rule(stories)
        content = {
            "executive_summary": self._summary(selection, level),
            "key_developments": [
                self._development(story, selection, retellings=retellings)
                for story, retellings in distinct_stories(stories)[:MAX_DEVELOPMENTS]
            ],
            "geopolitical_impact": self._themed(
                stories,
                "geopolitical",
                empty="None of the selected sources reports on relations with "
                "other states in this period.",
            ),
            "military_analysis": self._themed(
                stories,
                "military",
                empty="None of the selected sources reports on armed forces, "
                "exercises or border security in this period.",
            ),
            "outlook": self._outlook(selection, hits),
            "assessment": {
                "threat_level": level,
                "rationale": self._rationale(level, hits, terms, selection),
                "hotspots": self._hotspots(selection),
            },
        }

        problems = draft_problems(content, selection=selection)
        if problems:
            # The rules above should never break the checks; say so loudly
            # rather than save a draft that does.
            listed = [str(p) for p in problems]
            raise DraftFailed(
                "The offline draft failed its own checks: " + "; ".join(listed),
                problems=listed,
            )
        parsed = parse_content(content)
        return DraftResult(
            content=parsed.model_dump(),
            backend=self.name,
            model_name="",
            prompt_version=PROMPT_VERSION,
            usage={"input": 0, "output": 0, "cache_read": 0, "cache_write": 0},
            note=NOTE,
            flags=draft_flags(parsed, selection=selection),
        )

    def _summary(self, selection: Selection, level: str) -> str:
        stories = selection.sources
        outlets = sorted({o for s in stories for o in s.outlets})
        background = sum(1 for s in stories if s.background)
        widest = sorted(stories, key=lambda s: (-len(s.outlets), -s.score, s.id))[:3]
        parts = [
            f"{len(stories)} stories from {len(outlets)} outlets were selected on "
            f"{selection.topic.name} for {day_month(selection.period_start)} to "
            f"{day_month(selection.period_end)} {selection.period_end.year}"
            + (
                f", {background} of them published before the period"
                if background
                else ""
            )
            + ".",
            "The most widely reported: "
            + "; ".join(
                f"“{s.article.title}” ({len(s.outlets)} "
                f"outlet{'s' if len(s.outlets) != 1 else ''})"
                for s in widest
            )
            + ".",
            f"The threat level is {level} by the desk's offline rule.",
        ]
        if selection.thin:
            parts.append(
                f"Reporting is thin this period ({selection.in_period_stories} "
                "stories in the period); the assessment rests on few sources."
            )
        return " ".join(parts)

    def _development(
        self,
        story: SelectedArticle,
        selection: Selection,
        *,
        retellings: list[SelectedArticle],
    ) -> dict:
        article = story.article
        text = article_text(article)
        outside = story.background or mentions_outside_period(
            f"{article.title}. {lead(text)}",
            start=selection.period_start,
            end=selection.period_end,
        )
        attribution = (
            f"Reported by {article.feed} ({story.admiralty}, "
            f"{day_month(article.published_at)} {article.published_at.year})"
        )
        others = {str(a.feed) for a in story.corroborated_by}
        others |= {str(r.article.feed) for r in retellings}
        others.discard(str(article.feed))
        if others:
            attribution += "; also reported by " + ", ".join(sorted(others))
        attribution += "."
        if outside:
            attribution += " The events described fall outside the analysis period."
        body = lead(text) or article.title
        return {
            "title": " ".join(article.title.split())[:300],
            "body": f"{body} {attribution}",
            "source_ids": [story.id] + [r.id for r in retellings],
            "in_period": not outside,
        }

    def _themed(self, stories: list[SelectedArticle], theme: str, *, empty: str) -> str:
        chosen: list[str] = []
        seen: list[set[str]] = []
        for story in stories:
            for sentence in sentences(article_text(story.article)):
                words = content_words(sentence)
                if any(similarity(words, other) >= SAME_STORY for other in seen):
                    continue
                if _matches(_THEME_PATTERNS[theme], sentence):
                    seen.append(words)
                    chosen.append(attributed(sentence, story.article))
                    break
            if len(chosen) == 5:
                break
        return " ".join(chosen) or empty

    def _outlook(self, selection: Selection, hits: dict[str, list[int]]) -> dict:
        stories = selection.sources
        short_term = self._themed(
            stories,
            "future",
            empty="The sources announce no scheduled events; expect reporting "
            "to continue on this period's stories.",
        )
        signalled = [
            s
            for s in stories
            if any(s.id in ids for lvl, ids in hits.items() if lvl != "guarded")
        ]
        flashpoints = (
            "Stories carrying the strongest threat signals: "
            + "; ".join(f"“{s.article.title}”" for s in signalled[:4])
            + "."
            if signalled
            else "No story in the period carries more than routine security signals."
        )
        single = [s for s in stories if not s.corroborated_by][:4]
        indicators = (
            "Follow-up reporting on: "
            + "; ".join(f"“{s.article.title}”" for s in stories[:3])
            + "."
        )
        if single:
            indicators += " Whether other outlets confirm the single-source items: " + (
                "; ".join(f"“{s.article.title}”" for s in single) + "."
            )
        recommendations = (
            "Verify single-source items against other outlets before approval, "
            "check each hotspot's placement, and rewrite the extracted sentences "
            "into an assessment; this draft quotes its sources and does not "
            "weigh them."
        )
        return {
            "short_term": short_term,
            "flashpoints": flashpoints,
            "indicators": indicators,
            "recommendations": recommendations,
        }

    def _rationale(
        self,
        level: str,
        hits: dict[str, list[int]],
        terms: dict[str, set[str]],
        selection: Selection,
    ) -> str:
        found = [
            f"{lvl} terms in {len(hits[lvl])} "
            f"stor{'ies' if len(hits[lvl]) != 1 else 'y'} "
            f"({', '.join(sorted(terms[lvl])[:5])})"
            for lvl in reversed(THREAT_ORDER)
            if hits.get(lvl)
        ]
        text = (
            f"Set to {level} by the offline rule: the highest level whose signal "
            f"terms appear in at least {MIN_STORIES_FOR_LEVEL} stories of the "
            "period, raised one step at most by a single story of a higher level. "
        )
        text += (
            ("Found: " + "; ".join(found) + ".")
            if found
            else "No security terms found."
        )
        if selection.thin:
            text += " Reporting was thin, so this level is weakly supported."
        return text + " No AI judged this level; an editor must confirm it."

    def _hotspots(self, selection: Selection) -> list[dict]:
        topic = selection.topic
        gazetteer: Gazetteer = gazetteer_for(
            country_code=topic.country_code,
            south=topic.area_south,
            west=topic.area_west,
            north=topic.area_north,
            east=topic.area_east,
        )
        spots: dict[str, _Hotspot] = {}
        for story in selection.sources:
            text = f"{story.article.title}. {article_text(story.article)}"
            for place, spelled in gazetteer.find(text):
                spot = spots.setdefault(place.name, _Hotspot(place, spelled, [], []))
                spot.story_ids.append(story.id)
                spot.titles.append(story.article.title)
        ranked = sorted(
            spots.values(),
            key=lambda s: (-len(s.story_ids), -s.place.population, s.place.name),
        )
        return [
            {
                "label": spot.label,
                "detail": f"Named in {len(spot.story_ids)} "
                f"stor{'ies' if len(spot.story_ids) != 1 else 'y'}: "
                + "; ".join(f"“{t}”" for t in spot.titles[:3])
                + ".",
                "lat": round(spot.place.lat, 4),
                "lng": round(spot.place.lng, 4),
                "intensity": min(3, len(spot.story_ids)),
                "source_ids": spot.story_ids[:6],
            }
            for spot in ranked[:MAX_HOTSPOTS]
        ]
