"""A fake Anthropic Messages API on 127.0.0.1 for the real SDK to talk to.

Tests queue scripted answers (a message, an error status, a stall); each
POST /v1/messages takes the next one and records the request body, so tests
can read what the drafter sent.
"""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Answer:
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class FakeClaude:
    base_url: str
    answers: list[Answer] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def queue(self, *answers: Answer) -> None:
        self.answers.extend(answers)


def usage(**overrides: int) -> dict[str, int]:
    values = {
        "input_tokens": 1200,
        "output_tokens": 900,
        "cache_read_input_tokens": 2000,
        "cache_creation_input_tokens": 0,
    }
    values.update(overrides)
    return values


def tool_answer(tool_input: dict[str, Any], *, stop_reason: str = "tool_use") -> Answer:
    return Answer(
        body={
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-5-5",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_test",
                    "name": "submit_report",
                    "input": tool_input,
                }
            ],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage(),
        }
    )


def text_answer(text: str, *, stop_reason: str = "end_turn") -> Answer:
    return Answer(
        body={
            "id": "msg_test",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-5-5",
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": usage(output_tokens=400),
        }
    )


def error_answer(status: int, kind: str, message: str) -> Answer:
    return Answer(
        status=status,
        body={"type": "error", "error": {"type": kind, "message": message}},
        # Milliseconds, so the SDK and the task never really sleep in tests.
        headers={"retry-after-ms": "1"},
    )


def overloaded() -> Answer:
    return error_answer(529, "overloaded_error", "Overloaded")


def rate_limited() -> Answer:
    return error_answer(429, "rate_limit_error", "Number of requests exceeded")


def good_content(ids: list[int], **changes: Any) -> dict[str, Any]:
    first, second = ids[0], ids[1]
    content: dict[str, Any] = {
        "executive_summary": "A state-aligned espionage campaign dominated the week.",
        "key_developments": [
            {
                "title": "Espionage against ministries",
                "body": "Researchers reported a dozen infected government computers.",
                "source_ids": [first],
                "in_period": True,
            },
            {
                "title": "Rights chief visit",
                "body": "The UN rights chief praised progress and warned on corruption.",
                "source_ids": [second],
                "in_period": True,
            },
        ],
        "geopolitical_impact": "Mongolia balances its neighbours and third partners.",
        "military_analysis": "Exercises with China are planned for late May.",
        "outlook": {
            "short_term": "More intrusions are likely.",
            "flashpoints": "Government networks.",
            "indicators": "New advisories by the response teams.",
            "recommendations": "Patch and monitor ministries' mail systems.",
        },
        "assessment": {
            "threat_level": "elevated",
            "rationale": "An active state-aligned intrusion set targets ministries.",
            "hotspots": [
                {
                    "label": "Ulaanbaatar",
                    "detail": "Ministries targeted by the intrusion set.",
                    "lat": 47.9188,
                    "lng": 106.9175,
                    "intensity": 3,
                    "source_ids": [first],
                }
            ],
        },
    }
    content.update(changes)
    return content


def serve() -> tuple[ThreadingHTTPServer, FakeClaude]:
    state = FakeClaude(base_url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            state.requests.append(json.loads(self.rfile.read(length) or b"{}"))
            answer = (
                state.answers.pop(0)
                if state.answers
                else error_answer(500, "api_error", "no answer queued in the fake")
            )
            if answer.delay:
                time.sleep(answer.delay)
            payload = json.dumps(answer.body).encode()
            try:
                self.send_response(answer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server, state


@pytest.fixture(name="fake_claude")
def fake_claude_fixture(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> Iterator[FakeClaude]:
    """The fake API, with the SDK pointed at it and a key configured."""
    server, state = serve()
    monkeypatch.setenv("ANTHROPIC_BASE_URL", state.base_url)
    settings.ANTHROPIC_API_KEY = "sk-test-not-a-real-key"
    settings.OSINT_DRAFTER = "anthropic"
    settings.OSINT_DRAFT_RETRY_BASE_SECONDS = 0
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
