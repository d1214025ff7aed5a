import pytest
from django.contrib.auth.models import Group

from reports.roles import GROUP_PERMISSIONS, Capability, can


@pytest.mark.django_db
def test_it_creates_the_three_groups_with_their_permissions() -> None:
    for role, codes in GROUP_PERMISSIONS.items():
        group = Group.objects.get(name=role.value)
        have = {
            f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()
        }
        assert have == set(codes)


@pytest.mark.django_db
def test_it_gives_each_role_its_row_of_the_table(editor, analyst, subscriber, outsider):
    assert can(editor, Capability.RUN_WORKFLOW)
    assert not can(analyst, Capability.EDIT_REPORT)
    assert can(analyst, Capability.ANNOTATE)
    assert can(subscriber, Capability.READ_PUBLISHED)
    assert not can(subscriber, Capability.READ_DESK)
    assert not can(outsider, Capability.READ_PUBLISHED)
