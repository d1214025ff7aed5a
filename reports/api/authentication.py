"""Bearer tokens for programs, beside the session cookie of the browser.

A token is `Authorization: Bearer osk_...`, issued by `reports.tokens` and
shown once. A header that names the Bearer scheme but carries a bad secret is
refused outright rather than treated as anonymous, so a revoked token never
silently degrades into an anonymous client.
"""

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from reports.models import AccessToken
from reports.tokens import token_user

SCHEME = "Bearer"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, None] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != SCHEME.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                "The Authorization header must be 'Bearer <token>' with one token."
            )

        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(
                "The token contains characters no token has."
            ) from None

        user = token_user(secret, kind=AccessToken.Kind.API)
        if user is None:
            raise AuthenticationFailed(
                "The token is unknown or revoked, or its user is inactive."
            )
        return user, None

    def authenticate_header(self, request: Request) -> str:
        # Naming the scheme makes DRF answer 401, not 403, to anonymous calls.
        return f'{SCHEME} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "reports.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token from POST /api/tokens/, sent as "
                "`Authorization: Bearer <secret>`."
            ),
        }
