from django.contrib import admin

from journeys.admin import ThroughServicesAdmin
from touchpoints.models import Touchpoint
from touchpoints.services import TOUCHPOINT


@admin.register(Touchpoint)
class TouchpointAdmin(ThroughServicesAdmin):
    kind = TOUCHPOINT
    placement = ("phase", "lane")
    fields = (
        "journey",
        "phase",
        "lane",
        "name",
        "channel",
        "department",
        "description",
        "is_moment_that_matters",
        "code",
    )
    list_display = ("name", "code", "channel", "department", "is_moment_that_matters", "journey")
    list_filter = ("channel", "department", "is_moment_that_matters", "journey")
    search_fields = ("name", "code", "description")
    list_select_related = ("journey",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # As through the API: a touchpoint's code may be left for the service to derive.
        form.base_fields["code"].required = False
        form.base_fields["code"].help_text = "Left blank: made from the phase and the name."
        return form
