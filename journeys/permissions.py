"""Who may do what: the one access check for REST views, services and WebSocket consumers.

Roles are Django groups (Admins, Editors, Viewers); a superuser is always an admin and a
signed-in user in no group reads like a viewer. A journey is visible to everyone unless it is
restricted; then only its owner, its collaborators and admins see it.
"""

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from rest_framework.permissions import SAFE_METHODS, BasePermission

if TYPE_CHECKING:
    from journeys.models import Journey


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


ROLE_GROUPS: dict[Role, str] = {
    Role.ADMIN: "Admins",
    Role.EDITOR: "Editors",
    Role.VIEWER: "Viewers",
}
_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


def role_of(user) -> Role | None:
    """The user's highest role, or None for anonymous and inactive users (cached on the user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    cached = getattr(user, "_journeyboard_role", None)
    if cached is not None:
        return cached
    groups = () if user.is_superuser else user.groups.values_list("name", flat=True)
    return role_from_groups(user, set(groups))


def role_from_groups(user, group_names: set[str]) -> Role:
    """The role the user's groups give (superusers are admins), cached on the user."""
    if user.is_superuser:
        role = Role.ADMIN
    else:
        role = next(
            (r for r in (Role.ADMIN, Role.EDITOR) if ROLE_GROUPS[r] in group_names), Role.VIEWER
        )
    user._journeyboard_role = role
    return role


def user_with_role(users: "QuerySet"):
    """The one user ``users`` selects (or None), its role read in the same query.

    The groups are joined (a row per group) rather than tested with one EXISTS per role:
    Django compiles the join in a third of the time, and a socket reads its user this way on
    every edit (``journeys.realtime.access.user_now``)."""
    rows = list(users.annotate(group_name=F("groups__name")).order_by())
    if not rows:
        return None
    user = rows[0]
    role_from_groups(user, {row.group_name for row in rows if row.group_name})
    return user


def has_role(user, role: Role) -> bool:
    current = role_of(user)
    return current is not None and _RANK[current] >= _RANK[role]


def is_admin(user) -> bool:
    return has_role(user, Role.ADMIN)


def visible_journeys(user) -> "QuerySet[Journey]":
    """Journeys the user may open; a restricted one only for its owner, collaborators, admins."""
    from journeys.models import Journey

    journeys = Journey.objects.all()
    if role_of(user) is None:
        return journeys.none()
    if is_admin(user):
        return journeys
    collaborates = Journey.collaborators.through.objects.filter(
        journey_id=OuterRef("pk"), user_id=user.pk
    )
    return journeys.filter(Q(is_restricted=False) | Q(owner_id=user.pk) | Exists(collaborates))


def can_view_journey(user, journey: "Journey") -> bool:
    if role_of(user) is None:
        return False
    if not journey.is_restricted or is_admin(user) or journey.owner_id == user.pk:
        return True
    return journey.collaborators.filter(pk=user.pk).exists()


def can_edit_journey(user, journey: "Journey") -> bool:
    return has_role(user, Role.EDITOR) and can_view_journey(user, journey)


def can_manage_journey(user, journey: "Journey") -> bool:
    """Deleting a map and changing who may see it: its owner or an admin."""
    return is_admin(user) or (has_role(user, Role.EDITOR) and journey.owner_id == user.pk)


def can_share_journey(user, journey: "Journey") -> bool:
    """Creating and revoking read-only share links: editors of the map; for a restricted map,
    which only a chosen few may see, its owner or an admin alone."""
    if journey.is_restricted:
        return can_manage_journey(user, journey)
    return can_edit_journey(user, journey)


# --- DRF permission classes -------------------------------------------------------------------


class IsSignedIn(BasePermission):
    """Any active user with a role; the default for every API view."""

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) is not None


class EditorWritesOthersRead(BasePermission):
    """Viewers read; editors and admins write (journey visibility is applied by the queryset)."""

    message = "Viewers have read-only access; editing needs the Editor role."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return role_of(request.user) is not None
        return has_role(request.user, Role.EDITOR)


class AdminWritesOthersRead(BasePermission):
    """The persona library: everyone reads, only admins change it."""

    message = "Only admins may change the persona library."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return role_of(request.user) is not None
        return has_role(request.user, Role.ADMIN)
