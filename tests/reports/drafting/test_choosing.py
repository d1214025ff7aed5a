"""Choosing the drafter: OSINT_DRAFTER, and `auto` by the API key."""

from typing import Any

import pytest

from reports.drafting import DraftFailed, drafter_for, resolve_drafter_name
from reports.drafting.claude_drafter import AnthropicDrafter
from reports.drafting.offline import OfflineDrafter


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


def test_it_picks_anthropic_for_auto_when_a_key_is_set(
    settings: Any, no_env_key: None
) -> None:
    settings.OSINT_DRAFTER = "auto"
    settings.ANTHROPIC_API_KEY = "sk-test"

    assert resolve_drafter_name() == "anthropic"


def test_it_picks_offline_for_auto_without_a_key(
    settings: Any, no_env_key: None
) -> None:
    settings.OSINT_DRAFTER = "auto"
    settings.ANTHROPIC_API_KEY = ""

    assert resolve_drafter_name() == "offline"


def test_it_reads_the_key_from_the_environment_too(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.OSINT_DRAFTER = "auto"
    settings.ANTHROPIC_API_KEY = ""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-from-env")

    assert resolve_drafter_name() == "anthropic"


def test_it_lets_an_explicit_choice_win(settings: Any) -> None:
    settings.OSINT_DRAFTER = "anthropic"

    assert resolve_drafter_name("offline") == "offline"
    assert isinstance(drafter_for("offline"), OfflineDrafter)
    assert isinstance(drafter_for("anthropic"), AnthropicDrafter)
    with pytest.raises(DraftFailed, match="Unknown drafter 'gpt'"):
        resolve_drafter_name("gpt")
