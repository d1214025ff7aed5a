"""The `anthropic` drafter: Claude writes the draft through a strict tool.

One call, the checks, and at most one repair round that shows Claude its own
answer and the list of problems. Stop reasons and API failures become named
DraftFailed errors; rate limits and overload become DraftRetryable, which the
task retries with bounded backoff.
"""

import json
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings

from reports.claude import ClaudeError, ClaudeReply, claude_tool_call, usage_add
from reports.content import parse_content
from reports.drafting.base import DraftFailed, DraftResult, DraftRetryable
from reports.drafting.checks import draft_flags, draft_problems
from reports.drafting.prompt import PROMPT_VERSION, TOOL_NAME, prompt_for, repair_text
from reports.selection import Selection

if TYPE_CHECKING:
    import anthropic

logger = logging.getLogger(__name__)

MAX_ROUNDS = 2


class AnthropicDrafter:
    name = "anthropic"

    def __init__(
        self, *, model: str | None = None, client: "anthropic.Anthropic | None" = None
    ) -> None:
        self.model = model or settings.OSINT_MODEL
        self.client = client

    def draft(self, selection: Selection) -> DraftResult:
        prompt = prompt_for(selection)
        messages: list[dict[str, Any]] = [{"role": "user", "content": prompt.user}]
        usage: dict[str, int] = {}
        problems: list[str] = []

        for round_number in range(1, MAX_ROUNDS + 1):
            try:
                reply = self._call(prompt.system, messages, prompt.tool)
            except DraftFailed as exc:
                exc.usage = usage_add(usage, exc.usage)
                raise
            usage = usage_add(usage, reply.usage)
            _stop_if_cut_or_refused(reply, usage=usage)

            if reply.tool_input is None:
                problems = [
                    "the answer was plain text instead of a call to the "
                    f"{TOOL_NAME} tool: {_excerpt(reply.text)}"
                ]
            else:
                found = draft_problems(reply.tool_input, selection=selection)
                problems = [str(p) for p in found]
            if not problems:
                content = parse_content(reply.tool_input).model_dump()
                return DraftResult(
                    content=content,
                    backend=self.name,
                    model_name=reply.model,
                    prompt_version=PROMPT_VERSION,
                    usage=usage,
                    rounds=round_number,
                    note=f"Machine draft by Claude ({reply.model}); check every "
                    "statement against its cited sources before approval.",
                    flags=draft_flags(parse_content(content), selection=selection),
                )

            logger.warning(
                "draft check failed model=%s round=%d problems=%d",
                reply.model,
                round_number,
                len(problems),
            )
            messages += _repair_turns(reply, problems)

        raise DraftFailed(
            f"Claude's draft failed the checks again after one repair round "
            f"({len(problems)} problem{'s' if len(problems) != 1 else ''}): "
            + "; ".join(problems),
            problems=problems,
            usage=usage,
        )

    def _call(
        self,
        system: list[dict[str, Any]],
        messages: list[dict[str, Any]],
        tool: dict[str, Any],
    ) -> ClaudeReply:
        try:
            return claude_tool_call(
                system=system,
                messages=messages,
                tool=tool,
                model=self.model,
                max_tokens=settings.OSINT_MAX_OUTPUT_TOKENS,
                client=self.client,
            )
        except ClaudeError as exc:
            if exc.retryable:
                raise DraftRetryable(exc.message, retry_after=exc.retry_after) from exc
            raise DraftFailed(exc.message) from exc


def _stop_if_cut_or_refused(reply: ClaudeReply, *, usage: dict[str, int]) -> None:
    if reply.stop_reason == "max_tokens":
        raise DraftFailed(
            "Claude's answer was cut off at the output limit "
            f"(max_tokens={settings.OSINT_MAX_OUTPUT_TOKENS}) before the draft was "
            "complete; nothing was saved. Raise OSINT_MAX_OUTPUT_TOKENS or lower "
            "OSINT_PROMPT_TOKEN_BUDGET and draft again.",
            usage=usage,
        )
    if reply.stop_reason == "refusal":
        raise DraftFailed(
            "Claude declined to write this draft (stop reason: refusal)"
            + (f": {_excerpt(reply.text)}" if reply.text.strip() else "."),
            usage=usage,
        )
    if reply.stop_reason == "model_context_window_exceeded":
        raise DraftFailed(
            "The sources did not fit Claude's context window; lower "
            "OSINT_PROMPT_TOKEN_BUDGET and draft again.",
            usage=usage,
        )


def _repair_turns(reply: ClaudeReply, problems: list[str]) -> list[dict[str, Any]]:
    if reply.tool_input is not None and reply.tool_use_id:
        return [
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": reply.tool_use_id,
                        "name": TOOL_NAME,
                        "input": reply.tool_input,
                    }
                ],
            },
            {
                "role": "user",
                "content": [
                    {
                        "type": "tool_result",
                        "tool_use_id": reply.tool_use_id,
                        "is_error": True,
                        "content": repair_text(problems),
                    }
                ],
            },
        ]
    shown = reply.text or json.dumps(reply.tool_input)
    return [
        {"role": "assistant", "content": shown or "(empty answer)"},
        {"role": "user", "content": repair_text(problems)},
    ]


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"
