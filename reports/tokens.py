"""Per-user secrets for programs: API tokens and feed-reader (Atom) tokens.

A secret is shown once, when issued; only its SHA-256 is stored, so a leaked
database does not leak working tokens. Revoking is immediate.
"""

import hashlib
import logging
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from reports.models import AccessToken

logger = logging.getLogger(__name__)

_PREFIX = {AccessToken.Kind.API: "osk_", AccessToken.Kind.FEED: "osf_"}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_issue(
    *, user: Any, kind: AccessToken.Kind, name: str = ""
) -> tuple[AccessToken, str]:
    """Create a token and return it with its secret, which is not kept."""
    secret = _PREFIX[kind] + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user,
        kind=kind,
        name=name,
        prefix=secret[:12],
        key_hash=_digest(secret),
    )
    logger.info("token issued user=%s kind=%s prefix=%s", user.pk, kind, token.prefix)
    return token, secret


def token_user(secret: str, *, kind: AccessToken.Kind) -> User | None:
    """The active user a live secret belongs to, or None."""
    if not secret or not secret.startswith(_PREFIX[kind]):
        return None
    token = (
        AccessToken.objects.select_related("user")
        .filter(key_hash=_digest(secret), kind=kind, revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute, so busy clients do not write every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def token_revoke(*, token: AccessToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("token revoked user=%s prefix=%s", token.user_id, token.prefix)
