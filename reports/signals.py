"""Receivers that connect the reports side to events elsewhere."""

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from reports.roles import sync_role_groups


@receiver(post_migrate)
def keep_role_groups_in_step(sender: AppConfig, **kwargs: Any) -> None:
    # Runs after every app's migrations; acting once, for our own app, is
    # enough, since permissions of all apps exist by then.
    if sender.name == "reports":
        sync_role_groups(Group, Permission)
