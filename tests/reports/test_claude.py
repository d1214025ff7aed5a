"""reports.claude: the one door to Claude, and the names of its failures."""

from decimal import Decimal
from typing import Any

import httpx2
import pytest

from reports.claude import (
    ClaudeError,
    claude_client,
    claude_cost,
    claude_tool_call,
    usage_add,
)

TOOL = {"name": "submit_report", "input_schema": {"type": "object"}}


def call_with(handler: Any, settings: Any) -> Any:
    settings.ANTHROPIC_API_KEY = "sk-test"
    client = claude_client(
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler))
    )
    return claude_tool_call(
        system=[{"type": "text", "text": "x"}],
        messages=[{"role": "user", "content": "y"}],
        tool=TOOL,
        model="claude-sonnet-5-5",
        max_tokens=100,
        client=client,
    )


def status(code: int, message: str, **headers: str) -> Any:
    def handler(request: httpx2.Request) -> httpx2.Response:
        body = {"type": "error", "error": {"type": "x", "message": message}}
        return httpx2.Response(code, json=body, headers=headers)

    return handler


def test_it_names_a_timeout(settings: Any) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("slow", request=request)

    with pytest.raises(ClaudeError) as failed:
        call_with(handler, settings)

    assert failed.value.kind == "timeout" and not failed.value.retryable
    assert failed.value.message == (
        f"Claude did not answer within {settings.OSINT_CLAUDE_TIMEOUT} s."
    )


def test_it_names_a_connection_error_as_retryable(settings: Any) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    with pytest.raises(ClaudeError) as failed:
        call_with(handler, settings)

    assert failed.value.kind == "connection" and failed.value.retryable
    assert failed.value.message.startswith("Could not reach Claude's API")


def test_it_reads_the_servers_retry_hint_on_a_rate_limit(settings: Any) -> None:
    with pytest.raises(ClaudeError) as failed:
        call_with(status(429, "slow down", **{"retry-after": "7"}), settings)

    assert failed.value.kind == "rate_limited" and failed.value.retryable
    assert failed.value.retry_after == 7.0
    assert "429" in failed.value.message and "slow down" in failed.value.message


@pytest.mark.parametrize(
    ("code", "kind", "retryable"),
    [
        (529, "overloaded", True),
        (500, "server_error", True),
        (401, "auth", False),
        (400, "bad_request", False),
    ],
)
def test_it_names_status_failures(
    settings: Any, code: int, kind: str, retryable: bool
) -> None:
    with pytest.raises(ClaudeError) as failed:
        call_with(status(code, "went wrong"), settings)

    assert (failed.value.kind, failed.value.retryable) == (kind, retryable)
    assert failed.value.status == code
    assert "went wrong" in failed.value.message


def test_it_refuses_to_build_a_client_without_a_key(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ANTHROPIC_API_KEY = ""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)

    with pytest.raises(ClaudeError) as failed:
        claude_client()

    assert failed.value.kind == "no_key"


def test_it_reads_the_tool_input_text_and_usage(settings: Any) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            200,
            json={
                "id": "m",
                "type": "message",
                "role": "assistant",
                "model": "claude-sonnet-5-5",
                "content": [
                    {"type": "text", "text": "Here it is."},
                    {
                        "type": "tool_use",
                        "id": "t1",
                        "name": "submit_report",
                        "input": {"a": 1},
                    },
                ],
                "stop_reason": "tool_use",
                "stop_sequence": None,
                "usage": {
                    "input_tokens": 10,
                    "output_tokens": 5,
                    "cache_read_input_tokens": 3,
                    "cache_creation_input_tokens": 2,
                },
            },
        )

    reply = call_with(handler, settings)

    assert reply.tool_input == {"a": 1} and reply.tool_use_id == "t1"
    assert reply.text == "Here it is."
    assert reply.usage == {"input": 10, "output": 5, "cache_read": 3, "cache_write": 2}


def test_it_prices_usage_from_the_settings_table(settings: Any) -> None:
    settings.OSINT_PRICES = {
        "*": {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75},
        "claude-haiku-4-5": {
            "input": 1.0,
            "output": 5.0,
            "cache_read": 0.1,
            "cache_write": 1.25,
        },
    }
    usage = {
        "input": 1_000_000,
        "output": 100_000,
        "cache_read": 500_000,
        "cache_write": 0,
    }

    assert claude_cost(model="claude-sonnet-5-5", usage=usage) == Decimal("4.650000")
    assert claude_cost(model="claude-haiku-4-5", usage=usage) == Decimal("1.550000")
    assert usage_add(usage, usage)["output"] == 200_000
