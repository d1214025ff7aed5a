"""Clients of the API as each role; throttling off unless a test sets it."""

from collections.abc import Callable

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.reports.api.clients import bearer_client


@pytest.fixture(autouse=True)
def _no_throttling(settings: pytest.FixtureRequest) -> None:
    # Tests call the API far faster than any person; the throttle tests set
    # their own rates.
    settings.API_THROTTLE_RATES = {"user": None, "anon": None}  # type: ignore[attr-defined]
    cache.clear()


@pytest.fixture
def api_as() -> Callable[[User | None], APIClient]:
    return bearer_client
