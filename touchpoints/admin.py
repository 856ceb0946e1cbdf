from django.contrib import admin

from journeys.admin import ThroughServicesAdmin
from touchpoints.evidence import evidence_counts
from touchpoints.models import Touchpoint
from touchpoints.services import TOUCHPOINT, evidence_words


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
    delete_data = {"confirm": True}

    def get_deleted_objects(self, objs, request):
        """Django's confirmation page, naming the survey evidence a delete unmatches too."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        counts = evidence_counts([obj.pk for obj in objs])
        if any(counts.values()):
            deleted.append(
                f"Unmatched, not deleted: {evidence_words(counts)} (a touchpoint created "
                "again with the same code takes them back)"
            )
        return deleted, model_count, perms_needed, protected

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # As through the API: a touchpoint's code may be left for the service to derive.
        form.base_fields["code"].required = False
        form.base_fields["code"].help_text = "Left blank: made from the phase and the name."
        return form
