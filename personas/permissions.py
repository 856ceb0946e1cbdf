"""Who may do what in the persona library — one place for the pages, the API and the admin.

Everyone signed in reads the library. Editors add to it: they create personas and groups, and
edit the personas they created. Admins curate it: they edit anyone's persona, rename and delete
groups, and delete personas (the maps that used one are kept, without it).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from journeys.permissions import Role, has_role, is_admin, role_of

# What the pages and the API's refusals say, so a person learns who to ask.
WHO_DOES_WHAT = (
    "Everyone reads the persona library. Editors add personas and groups and edit the personas "
    "they created; admins curate the library: they edit anyone's persona, rename and delete "
    "groups, and delete personas."
)
ADD_REFUSED = "Adding to the persona library needs the Editor role; ask an admin for it."
EDIT_REFUSED = "Only the persona's author or an admin may edit it; ask an admin."
CURATE_REFUSED = "Only admins curate the persona library (deleting, renaming groups)."


def can_add_to_library(user) -> bool:
    """Create a persona or a group: editors and admins."""
    return has_role(user, Role.EDITOR)


def can_edit_persona(user, persona) -> bool:
    return is_admin(user) or (can_add_to_library(user) and persona.created_by_id == user.pk)


def can_curate_library(user) -> bool:
    """Delete personas, rename and delete groups: admins."""
    return is_admin(user)


class LibraryPermission(BasePermission):
    """Readers read; writers get as far as the service, which names the rule they met."""

    message = ADD_REFUSED

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return role_of(request.user) is not None
        return can_add_to_library(request.user)
