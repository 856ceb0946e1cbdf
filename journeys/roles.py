"""The role groups, and the Django-admin permissions of the Admins group."""

from django.contrib.auth.models import Group, Permission

from journeys.permissions import ROLE_GROUPS, Role


def ensure_role_groups(**kwargs) -> None:
    """Create Admins, Editors and Viewers (idempotent); Admins may change anything in admin.

    Editors and viewers work in the app and its API, whose services keep versions, revisions and
    the event log; Django admin is the admins' tool for users, roles and the persona library.
    """
    groups = {role: Group.objects.get_or_create(name=name)[0] for role, name in ROLE_GROUPS.items()}
    groups[Role.ADMIN].permissions.set(Permission.objects.all())
