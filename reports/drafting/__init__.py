"""Drafting: from a selection of articles to a checked draft.

- `prompt`: the instructions, the strict tool and the `<source>` elements
- `claude_drafter`: the `anthropic` drafter (Claude through reports.claude)
- `offline`: the deterministic, network-free extractive drafter
- `checks`: the rules every machine draft passes before it is saved
- `gazetteer`: offline place names for the offline drafter's hotspots

Callers pick a drafter with `drafter_for(resolve_drafter_name(name))`.
"""

from django.conf import settings

from reports.claude import api_key
from reports.drafting.base import Drafter, DraftFailed, DraftResult, DraftRetryable
from reports.drafting.claude_drafter import AnthropicDrafter
from reports.drafting.offline import OfflineDrafter

DRAFTERS = ("offline", "anthropic")

__all__ = [
    "DRAFTERS",
    "DraftFailed",
    "DraftResult",
    "DraftRetryable",
    "Drafter",
    "drafter_for",
    "resolve_drafter_name",
]


def resolve_drafter_name(name: str | None = None) -> str:
    """The drafter to use: `name`, else settings.OSINT_DRAFTER; `auto` means
    `anthropic` when a Claude API key is configured, `offline` otherwise."""
    chosen = (name or settings.OSINT_DRAFTER or "auto").lower()
    if chosen == "auto":
        return "anthropic" if api_key() else "offline"
    if chosen not in DRAFTERS:
        raise DraftFailed(
            f"Unknown drafter {chosen!r}; choose one of: {', '.join(DRAFTERS)}."
        )
    return chosen


def drafter_for(name: str) -> Drafter:
    if name == "anthropic":
        return AnthropicDrafter()
    if name == "offline":
        return OfflineDrafter()
    raise DraftFailed(
        f"Unknown drafter {name!r}; choose one of: {', '.join(DRAFTERS)}."
    )
