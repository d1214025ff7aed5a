"""API clients for tests: as a user (through a fresh token) or by secret."""

from django.contrib.auth.models import User
from rest_framework.test import APIClient

from reports.models import AccessToken
from reports.tokens import token_issue


def secret_client(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def bearer_client(user: User | None) -> APIClient:
    """A client sending a fresh API token of `user` (anonymous for None)."""
    if user is None:
        return APIClient()
    _, secret = token_issue(user=user, kind=AccessToken.Kind.API, name="tests")
    return secret_client(secret)
