"""The one module that talks to Claude.

Everything else asks `claude_tool_call()` for one structured answer and gets
a `ClaudeReply` or a `ClaudeError` whose `kind` names what went wrong. The
client is built from settings with explicit timeouts; the SDK itself reads
ANTHROPIC_BASE_URL, so a fake Messages API on loopback exercises this module
end to end. The SDK's own retries are off: the drafting task owns the retry
policy (bounded backoff, visible as job attempts), so a request is never
retried twice over.
"""

import logging
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx2
from django.conf import settings

if TYPE_CHECKING:
    import anthropic

logger = logging.getLogger(__name__)

USAGE_KEYS = ("input", "output", "cache_read", "cache_write")


class ClaudeError(Exception):
    """A Claude call that did not give an answer, named by `kind`.

    Kinds: rate_limited, overloaded, server_error, connection, timeout,
    auth, bad_request, no_key. `retryable` says whether trying again later
    may succeed; `retry_after` is the server's hint in seconds, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        retryable: bool = False,
        retry_after: float | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


@dataclass(frozen=True)
class ClaudeReply:
    """One answer: why it stopped, the tool input if any, its text, usage."""

    model: str
    stop_reason: str | None
    tool_input: dict[str, Any] | None
    text: str
    usage: dict[str, int] = field(default_factory=dict)
    tool_use_id: str | None = None
    request_id: str | None = None


def api_key() -> str:
    return str(
        getattr(settings, "ANTHROPIC_API_KEY", "")
        or os.environ.get("ANTHROPIC_API_KEY", "")
    )


def claude_client(*, http_client: httpx2.Client | None = None) -> "anthropic.Anthropic":
    """A client from settings; raises ClaudeError(kind="no_key") without a key."""
    # Imported here: the SDK takes seconds to import, and every web, worker
    # and command process would pay that even when drafting offline.
    import anthropic

    key = api_key()
    if not key:
        raise ClaudeError(
            "No Claude API key is configured (set ANTHROPIC_API_KEY), so the "
            "anthropic drafter cannot run; use the offline drafter instead.",
            kind="no_key",
        )
    timeout = httpx2.Timeout(
        float(settings.OSINT_CLAUDE_TIMEOUT), connect=10.0, write=30.0, pool=10.0
    )
    return anthropic.Anthropic(
        api_key=key, timeout=timeout, max_retries=0, http_client=http_client
    )


def claude_tool_call(
    *,
    system: list[dict[str, Any]],
    messages: list[dict[str, Any]],
    tool: dict[str, Any],
    model: str,
    max_tokens: int,
    client: "anthropic.Anthropic | None" = None,
) -> ClaudeReply:
    """Ask Claude for one call of `tool`; return what came back, however cut."""
    import anthropic

    client = client or claude_client()
    try:
        # The SDK's TypedDicts are stricter than the plain dicts built here;
        # the server validates the shapes.
        response = client.messages.create(  # type: ignore[call-overload]
            model=model,
            max_tokens=max_tokens,
            system=system,
            messages=messages,
            tools=[tool],
            tool_choice={"type": "tool", "name": tool["name"]},
        )
    except anthropic.APIError as exc:
        raise _named_error(exc, model=model) from exc

    tool_input: dict[str, Any] | None = None
    tool_use_id: str | None = None
    texts: list[str] = []
    for block in response.content:
        if block.type == "tool_use" and block.name == tool["name"]:
            if tool_input is None and isinstance(block.input, dict):
                tool_input = dict(block.input)
                tool_use_id = block.id
        elif block.type == "text":
            texts.append(block.text)
    reply = ClaudeReply(
        model=response.model or model,
        stop_reason=response.stop_reason,
        tool_input=tool_input,
        text="\n".join(texts),
        usage=usage_of(response.usage),
        tool_use_id=tool_use_id,
        request_id=getattr(response, "_request_id", None),
    )
    logger.info(
        "claude answer model=%s stop_reason=%s tool_call=%s input=%d output=%d "
        "cache_read=%d cache_write=%d",
        reply.model,
        reply.stop_reason,
        tool_input is not None,
        reply.usage["input"],
        reply.usage["output"],
        reply.usage["cache_read"],
        reply.usage["cache_write"],
    )
    return reply


def usage_of(usage: Any) -> dict[str, int]:
    return {
        "input": int(getattr(usage, "input_tokens", 0) or 0),
        "output": int(getattr(usage, "output_tokens", 0) or 0),
        "cache_read": int(getattr(usage, "cache_read_input_tokens", 0) or 0),
        "cache_write": int(getattr(usage, "cache_creation_input_tokens", 0) or 0),
    }


def usage_add(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    return {key: total.get(key, 0) + more.get(key, 0) for key in USAGE_KEYS}


def claude_cost(*, model: str, usage: dict[str, int]) -> Decimal:
    """Estimated US dollars from settings.OSINT_PRICES (per million tokens)."""
    prices = settings.OSINT_PRICES.get(model) or settings.OSINT_PRICES.get("*", {})
    total = Decimal(0)
    for key in USAGE_KEYS:
        per_million = Decimal(str(prices.get(key, 0)))
        total += per_million * usage.get(key, 0) / Decimal(1_000_000)
    return total.quantize(Decimal("0.000001"))


def _retry_after(exc: "anthropic.APIStatusError") -> float | None:
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw:
            try:
                return max(0.0, float(raw) / scale)
            except ValueError:
                continue
    return None


def _named_error(exc: "anthropic.APIError", *, model: str) -> ClaudeError:
    import anthropic

    if isinstance(exc, anthropic.APITimeoutError):
        return ClaudeError(
            f"Claude did not answer within {settings.OSINT_CLAUDE_TIMEOUT} s.",
            kind="timeout",
        )
    if isinstance(exc, anthropic.APIConnectionError):
        return ClaudeError(
            f"Could not reach Claude's API ({exc.__cause__ or exc}).",
            kind="connection",
            retryable=True,
        )
    if not isinstance(exc, anthropic.APIStatusError):
        return ClaudeError(
            f"Claude's API answered unexpectedly: {exc}", kind="server_error"
        )

    status = exc.status_code
    detail = _error_detail(exc)
    if status == 429:
        return ClaudeError(
            f"Claude's rate limit was reached (429): {detail}",
            kind="rate_limited",
            retryable=True,
            retry_after=_retry_after(exc),
            status=status,
        )
    if status == 529 or "overloaded" in detail.lower():
        return ClaudeError(
            f"Claude is overloaded ({status}): {detail}",
            kind="overloaded",
            retryable=True,
            retry_after=_retry_after(exc),
            status=status,
        )
    if status >= 500:
        return ClaudeError(
            f"Claude's API failed ({status}): {detail}",
            kind="server_error",
            retryable=True,
            retry_after=_retry_after(exc),
            status=status,
        )
    if status in (401, 403):
        return ClaudeError(
            f"Claude refused the API key ({status}): {detail}",
            kind="auth",
            status=status,
        )
    return ClaudeError(
        f"Claude refused the request for model {model} ({status}): {detail}",
        kind="bad_request",
        status=status,
    )


def _error_detail(exc: "anthropic.APIStatusError") -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
    return str(exc.message)[:300]
