"""Create the Editors, Analysts and Subscribers groups with their permissions."""

from typing import Any

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_role_groups(apps: Any, schema_editor: Any) -> None:
    from reports.roles import sync_role_groups

    # Permissions are normally created after all migrations; make them now so
    # the groups are complete on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def remove_role_groups(apps: Any, schema_editor: Any) -> None:
    from reports.roles import Role

    apps.get_model("auth", "Group").objects.filter(
        name__in=[role.value for role in Role]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("feeds", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
