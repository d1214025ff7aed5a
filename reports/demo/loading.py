"""Steps of the demo, in the order `load_demo()` runs them."""

import logging
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, User
from django.db import transaction

from reports.roles import Role

logger = logging.getLogger(__name__)

DEMO_USERS: list[tuple[str, Role, str]] = [
    ("editor", Role.EDITOR, "Edits and approves reports"),
    ("editor2", Role.EDITOR, "A second editor, for four-eyes approval"),
    ("analyst", Role.ANALYST, "Annotates sources and comments on drafts"),
    ("subscriber", Role.SUBSCRIBER, "Reads and downloads published reports"),
]


@dataclass
class DemoSummary:
    users: list[tuple[str, str, str]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


def demo_users(password: str) -> list[tuple[str, str, str]]:
    """Create the demo users once; a second run leaves them as they are."""
    created = []
    with transaction.atomic():
        for username, role, purpose in DEMO_USERS:
            user, made = User.objects.get_or_create(
                username=username,
                defaults={
                    "is_staff": role in (Role.EDITOR, Role.ANALYST),
                    "email": f"{username}@demo.invalid",
                    "first_name": username.capitalize(),
                },
            )
            if made:
                user.set_password(password)
                user.save(update_fields=["password"])
                user.groups.add(Group.objects.get(name=role.value))
                logger.info("demo user created username=%s role=%s", username, role)
            created.append((username, role.value, purpose))
    return created


def load_demo(*, password: str) -> DemoSummary:
    summary = DemoSummary()
    summary.users = demo_users(password)
    return summary
