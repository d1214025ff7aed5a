"""The desk's domain errors. Every caller (admin, API, commands) maps these to
its own way of telling a person what went wrong; none of them is a 500."""


class DeskError(Exception):
    """A refused action, with a stable code and a sentence for people."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class Forbidden(DeskError):
    """The actor's role does not allow the action."""

    code = "forbidden"


class NotFound(DeskError):
    """The object does not exist, or its existence is private to the actor."""

    code = "not_found"


class InvalidTransition(DeskError):
    """The action does not apply to the report in its current state."""

    code = "invalid_transition"


class Conflict(DeskError):
    """A save was based on a revision that is no longer the latest."""

    code = "conflict"

    def __init__(self, message: str, *, latest_revision_id: int | None = None) -> None:
        super().__init__(message)
        self.latest_revision_id = latest_revision_id


class ValidationFailed(DeskError):
    """Content or input broke the rules; `problems` lists each one."""

    code = "invalid"

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])
