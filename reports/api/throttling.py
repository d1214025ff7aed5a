"""Request rates per user and per anonymous client.

DRF's stock throttles read their rates once, at import; these read
`settings.API_THROTTLE_RATES` on each request, so a deployment (or a test)
can change them without reloading code.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _RateFromSettings:
    scope: str

    def get_rate(self) -> str | None:
        rates: dict[str, str | None] = getattr(settings, "API_THROTTLE_RATES", {})
        return rates.get(self.scope)


class UserThrottle(_RateFromSettings, UserRateThrottle):
    scope = "user"


class AnonThrottle(_RateFromSettings, AnonRateThrottle):
    scope = "anon"
