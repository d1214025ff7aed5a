"""Who may do what: the role table, in one place.

Views, admin, API and commands ask `can()` or `require()`; none of them keeps
a copy of these rules. Django model permissions for the admin are derived from
the same table by `sync_role_groups()`.
"""

from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser

from reports.errors import Forbidden


class Role(StrEnum):
    SUBSCRIBER = "Subscribers"
    ANALYST = "Analysts"
    EDITOR = "Editors"


class Capability(StrEnum):
    READ_PUBLISHED = "see published reports and download their PDFs"
    READ_DESK = "see drafts, revisions, diffs and review comments"
    ANNOTATE = "annotate sources"
    COMMENT = "comment on a draft"
    REQUEST_DRAFT = "ask for a new AI draft"
    EDIT_REPORT = "edit report text, threat level and hotspots"
    MANAGE_FEEDS = "set feed reliability, add and disable feeds"
    MANAGE_TOPICS = "manage topics"
    RUN_WORKFLOW = "submit, request changes, approve, publish and withdraw"


_ANALYST = {
    Capability.READ_PUBLISHED,
    Capability.READ_DESK,
    Capability.ANNOTATE,
    Capability.COMMENT,
    Capability.REQUEST_DRAFT,
}

CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.SUBSCRIBER: frozenset({Capability.READ_PUBLISHED}),
    Role.ANALYST: frozenset(_ANALYST),
    Role.EDITOR: frozenset(Capability),
}

# Django model permissions each group gets, so the admin shows each role just
# what the table above lets it do. "view" is read-only in the admin.
_DESK_READ = [
    "feeds.view_feed",
    "feeds.view_article",
    "feeds.view_storycluster",
    "feeds.view_annotation",
    "reports.view_topic",
    "reports.view_articlematch",
    "reports.view_report",
    "reports.view_revision",
    "reports.view_generationjob",
    "reports.view_reviewcomment",
    "reports.view_auditevent",
    "reports.view_publication",
]
GROUP_PERMISSIONS: dict[Role, list[str]] = {
    Role.SUBSCRIBER: ["reports.view_publication"],
    Role.ANALYST: _DESK_READ
    + [
        "feeds.add_annotation",
        "reports.add_reviewcomment",
        "reports.change_reviewcomment",
        "reports.add_generationjob",
    ],
    Role.EDITOR: _DESK_READ
    + [
        "feeds.add_feed",
        "feeds.change_feed",
        "feeds.add_annotation",
        "reports.add_topic",
        "reports.change_topic",
        "reports.add_report",
        "reports.change_report",
        "reports.add_revision",
        "reports.add_reviewcomment",
        "reports.change_reviewcomment",
        "reports.add_generationjob",
    ],
}


def roles_of(user: Any) -> set[Role]:
    """The roles a user holds; a superuser holds them all."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return set()
    if not user.is_active:
        return set()
    if user.is_superuser:
        return set(Role)
    cached = getattr(user, "_desk_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        cached = {role for role in Role if role.value in names}
        user._desk_roles = cached
    return set(cached)


def can(user: Any, capability: Capability) -> bool:
    return any(capability in CAPABILITIES[role] for role in roles_of(user))


def require(user: Any, capability: Capability) -> None:
    """Raise Forbidden unless the user holds a role with the capability."""
    if not can(user, capability):
        raise Forbidden(f"Your role does not allow you to {capability.value}.")


def is_desk_member(user: Any) -> bool:
    """Analysts and editors: the people who see unpublished work."""
    return can(user, Capability.READ_DESK)


def sync_role_groups(group_model: Any, permission_model: Any) -> None:
    """Create the three groups and give each exactly its model permissions.

    Takes the models as arguments so a data migration can pass its historical
    ones. Permissions that do not exist yet are skipped; the post_migrate hook
    runs this again once they do.
    """
    for role, codes in GROUP_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role.value)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".", 1)
            wanted.extend(
                permission_model.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)
