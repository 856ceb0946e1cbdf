"""Users in the admin, with one more action: let an account locked by failed sign-ins in again."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from accounts.forms import AdminSignInForm
from accounts.signin import sign_in_unlock

User = get_user_model()
# The admin's own sign-in page checks passwords too: behind the same limiter.
admin.site.login_form = AdminSignInForm


@admin.action(description="Unlock sign-in (after too many failed attempts)")
def unlock_sign_in(modeladmin, request, queryset) -> None:
    users = list(queryset)
    for user in users:
        sign_in_unlock(username=user.get_username())
    modeladmin.message_user(
        request, f"{len(users)} account(s) may sign in again.", messages.SUCCESS
    )


class JourneyboardUserAdmin(UserAdmin):
    actions = [*UserAdmin.actions, unlock_sign_in]


admin.site.unregister(User)
admin.site.register(User, JourneyboardUserAdmin)
