"""Errors the feeds app raises for its callers to turn into words for people.

(`feeds.http.FetchError` is separate: it never leaves the fetcher, which
records it on the feed.)
"""


class AnnotationRejected(Exception):
    """An annotation broke the rules; `problems` lists each one."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])


class FeedRejected(Exception):
    """A feed's settings broke the rules; `problems` lists each one."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])
