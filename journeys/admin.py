from django.contrib import admin

from journeys.models import Card, Emotion, Journey, JourneyEvent, Lane, Opportunity, Phase


class PhaseInline(admin.TabularInline):
    model = Phase
    fields = ("name", "position", "customer_goal")
    extra = 0


class LaneInline(admin.TabularInline):
    model = Lane
    fields = ("name", "kind", "position")
    extra = 0


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    list_display = ("title", "persona", "state", "status", "owner", "is_restricted", "updated_at")
    list_filter = ("state", "status", "is_restricted", "persona")
    search_fields = ("title", "description", "scenario")
    filter_horizontal = ("collaborators",)
    readonly_fields = ("revision", "version", "created_at", "updated_at")
    inlines = [PhaseInline, LaneInline]


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ("name", "journey", "position")
    list_filter = ("journey",)


@admin.register(Lane)
class LaneAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "journey", "position")
    list_filter = ("kind", "journey")


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("text", "journey", "phase", "lane", "position")
    list_filter = ("journey",)
    search_fields = ("text", "tag")
    list_select_related = ("journey", "phase", "lane")


@admin.register(Emotion)
class EmotionAdmin(admin.ModelAdmin):
    list_display = ("journey", "phase", "source", "score", "label", "emoji")
    list_filter = ("source", "journey")
    list_select_related = ("journey", "phase")


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ("title", "journey", "phase", "impact", "effort", "priority", "status", "owner")
    list_filter = ("status", "journey")
    search_fields = ("title", "description")
    list_select_related = ("journey", "phase", "owner")


@admin.register(JourneyEvent)
class JourneyEventAdmin(admin.ModelAdmin):
    """The change log is history: readable, never edited by hand."""

    list_display = ("journey", "revision", "kind", "actor", "created_at")
    list_filter = ("kind",)
    list_select_related = ("journey", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
