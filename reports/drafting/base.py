"""What every drafter shares: its result, its errors, and its interface."""

from dataclasses import dataclass, field
from typing import Any, Protocol

from reports.errors import DeskError
from reports.selection import Selection


class DraftFailed(DeskError):
    """The drafter could not produce a draft that passes the checks.

    `problems` lists each broken rule when the checks were the cause.
    """

    code = "draft_failed"

    def __init__(
        self,
        message: str,
        *,
        problems: list[str] | None = None,
        usage: dict[str, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.problems = list(problems or [])
        # Tokens already spent on the failed attempt, for the job's record.
        self.usage = dict(usage or {})


class DraftRetryable(DraftFailed):
    """A passing condition (rate limit, overload): trying later may succeed."""

    code = "draft_retryable"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        usage: dict[str, int] | None = None,
    ) -> None:
        super().__init__(message, usage=usage)
        self.retry_after = retry_after


@dataclass
class DraftResult:
    """A checked draft, ready to become a revision."""

    content: dict[str, Any]
    backend: str
    model_name: str
    prompt_version: str
    usage: dict[str, int] = field(default_factory=dict)
    rounds: int = 1
    note: str = ""
    flags: list[str] = field(default_factory=list)


class Drafter(Protocol):
    name: str

    def draft(self, selection: Selection) -> DraftResult:
        """Write a draft from the selection, or raise DraftFailed."""
        ...
