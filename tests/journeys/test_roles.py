"""A user's role, read with the user in one query (as a socket does on every edit) or on its own."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from journeys.permissions import ROLE_GROUPS, Role, role_of, user_with_role
from tests.factories import UserFactory


def read_back(user):
    return user_with_role(get_user_model().objects.filter(pk=user.pk, is_active=True))


@pytest.mark.django_db
def test_the_highest_of_a_users_groups_is_their_role(django_assert_num_queries):
    both = UserFactory(username="val-viewer-and-editor", role=Role.VIEWER)
    both.groups.add(Group.objects.get_or_create(name=ROLE_GROUPS[Role.EDITOR])[0])

    with django_assert_num_queries(1):
        found = read_back(both)

    assert found.pk == both.pk
    assert role_of(found) == Role.EDITOR  # cached: no query of its own


@pytest.mark.django_db
def test_a_user_in_no_group_is_a_viewer_and_a_superuser_an_admin():
    nobody = UserFactory(username="nora-no-group")
    nobody.groups.clear()
    chief = UserFactory(username="sam-superuser", is_superuser=True)

    assert role_of(read_back(nobody)) == Role.VIEWER
    assert role_of(read_back(chief)) == Role.ADMIN


@pytest.mark.django_db
def test_a_deactivated_user_is_not_found():
    gone = UserFactory(username="dee-deactivated", role=Role.EDITOR, is_active=False)

    assert read_back(gone) is None
