from django.contrib import admin

from touchpoints.models import Touchpoint


@admin.register(Touchpoint)
class TouchpointAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "channel", "department", "is_moment_that_matters", "journey")
    list_filter = ("channel", "department", "is_moment_that_matters", "journey")
    search_fields = ("name", "code", "description")
    list_select_related = ("journey",)
