"""Open sockets follow a user's access as it changes: a role taken away, an account
deactivated, a session signed out. Each such change asks that user's sockets (after commit) to
check their access again (``JourneyConsumer.recheck_access``), which closes those that lost
the map; a lost notice is made good by the socket's own check, within a minute."""

from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models import Exists
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from config.ws_auth import user_for_session
from journeys.permissions import user_with_role
from journeys.realtime.broadcast import broadcast_access_changed

_DATABASE_SESSIONS = "django.contrib.sessions.backends.db"


def user_now(*, user_id: int | None, session_key: str | None, with_session: bool):
    """A socket's user as they are now, for an edit or a replay, in one query: a session signed
    out or expired, an account deactivated, a role given or taken all show here.

    One round trip, not the three of a full sign-in (session, user, groups): an edit's round
    trips each wait for the interpreter behind the event loop that delivers every live event.
    Measured (bench/live_fanout.py, WebSocket edits, 50 clients): p99 3.3× the relay floor with
    three, 3.0× with one; 1.48× before sockets re-checked anything. The session's password hash
    is not checked here: a password change saves the user,
    whose sockets are then checked in full (``connect_access_signals``)."""
    if user_id is None:
        return AnonymousUser()
    if with_session and settings.SESSION_ENGINE != _DATABASE_SESSIONS:
        return user_for_session(session_key)  # sessions elsewhere: the full sign-in
    users = get_user_model().objects.filter(pk=user_id, is_active=True)
    if with_session:
        from django.contrib.sessions.models import Session

        alive = Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now())
        users = users.filter(Exists(alive))
    return user_with_role(users) or AnonymousUser()


def _tell_users(user_ids) -> None:
    for user_id in set(user_ids):
        transaction.on_commit(partial(broadcast_access_changed, user_id=user_id))


def _groups_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear", "pre_clear"):
        return
    if not reverse:  # user.groups.add(...): the instance is the user
        _tell_users([instance.pk])
    elif pk_set:  # group.user_set.remove(...): the users are named
        _tell_users(pk_set)
    elif action == "pre_clear":  # group.user_set.clear(): read who they were first
        _tell_users(instance.user_set.values_list("pk", flat=True))


def _account_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    # last_login alone is saved at every sign-in: nothing about access changes then.
    if not created and (update_fields is None or set(update_fields) - {"last_login"}):
        _tell_users([instance.pk])


def _account_deleted(sender, instance, **kwargs) -> None:
    _tell_users([instance.pk])


def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None and user.pk:
        _tell_users([user.pk])


def connect_access_signals() -> None:
    user_model = get_user_model()
    m2m_changed.connect(_groups_changed, sender=user_model.groups.through, weak=False)
    post_save.connect(_account_saved, sender=user_model, weak=False)
    post_delete.connect(_account_deleted, sender=user_model, weak=False)
    user_logged_out.connect(_signed_out, weak=False)
