from django.contrib import admin
from django.utils import timezone

from journeys import services
from journeys.changes import ItemType, item_create, item_delete, item_move, item_update
from journeys.models import (
    Card,
    Emotion,
    Journey,
    JourneyEvent,
    Lane,
    Opportunity,
    Phase,
    ShareLink,
)


class ThroughServicesAdmin(admin.ModelAdmin):
    """Admin saves and deletes go through the services, so they bump the map's revision, are
    logged as events and reach open maps like any other edit."""

    kind: ItemType
    placement: tuple[str, ...] = ()  # fields whose change is a move: ("phase", "lane")

    def _value(self, form, field):
        value = form.cleaned_data[field]
        return value.pk if hasattr(value, "pk") else value

    def _field_name(self, field: str) -> str | None:
        if field in self.kind.editable:
            return field
        if f"{field}_id" in self.kind.editable:
            return f"{field}_id"
        return None

    def save_model(self, request, obj, form, change):
        if not change:
            fields = {
                name: self._value(form, field)
                for field in form.cleaned_data
                if field != "journey"
                and (
                    name := self._field_name(field)
                    or (f"{field}_id" if field in self.placement else None)
                )
            }
            created = item_create(
                self.kind, actor=request.user, journey_id=obj.journey_id, fields=fields
            )
            obj.pk = created.pk
            return
        changes = {
            name: self._value(form, field)
            for field in form.changed_data
            if (name := self._field_name(field))
        }
        if changes:
            item_update(self.kind, actor=request.user, pk=obj.pk, version=None, changes=changes)
        target = {f"{f}_id": self._value(form, f) for f in self.placement if f in form.changed_data}
        if target:
            item_move(
                self.kind, actor=request.user, pk=obj.pk, index=10**9, version=None, target=target
            )

    def delete_model(self, request, obj):
        item_delete(self.kind, actor=request.user, pk=obj.pk)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class PhaseInline(admin.TabularInline):
    model = Phase
    fields = ("name", "position", "customer_goal")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


class LaneInline(admin.TabularInline):
    model = Lane
    fields = ("name", "kind", "position")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    list_display = ("title", "persona", "state", "status", "owner", "is_restricted", "updated_at")
    list_filter = ("state", "status", "is_restricted", "persona")
    search_fields = ("title", "description", "scenario")
    filter_horizontal = ("collaborators",)
    readonly_fields = ("revision", "version", "created_at", "updated_at")
    inlines = [PhaseInline, LaneInline]

    def save_model(self, request, obj, form, change):
        """Through the journey services: a new map starts blank, a change is an event."""
        scalar = (
            "title",
            "description",
            "scenario",
            "persona",
            "state",
            "status",
            "owner",
            "is_restricted",
        )
        values = {
            (f"{f}_id" if f in ("persona", "owner") else f): (
                form.cleaned_data[f].pk
                if hasattr(form.cleaned_data[f], "pk")
                else form.cleaned_data[f]
            )
            for f in scalar
            if f in (form.changed_data if change else form.cleaned_data)
        }
        if not change:
            values.pop("owner_id", None)
            title = values.pop("title")
            obj.pk = services.journey_create(actor=request.user, title=title, **values).pk
            obj.refresh_from_db()
            return
        if values:
            current = Journey.objects.values_list("version", flat=True).get(pk=obj.pk)
            services.journey_update(
                actor=request.user, journey_id=obj.pk, version=current, changes=values
            )

    def save_formset(self, request, form, formset, change):
        # Phases and lanes are edited one by one (their own admin pages, through the services);
        # the inlines here show the map's structure.
        return None


@admin.register(Phase)
class PhaseAdmin(ThroughServicesAdmin):
    kind = services.PHASE
    fields = ("journey", "name", "description", "customer_goal")
    list_display = ("name", "journey", "position")
    list_filter = ("journey",)


@admin.register(Lane)
class LaneAdmin(ThroughServicesAdmin):
    kind = services.LANE
    fields = ("journey", "name", "kind")
    list_display = ("name", "kind", "journey", "position")
    list_filter = ("kind", "journey")


@admin.register(Card)
class CardAdmin(ThroughServicesAdmin):
    kind = services.CARD
    placement = ("phase", "lane")
    fields = ("journey", "phase", "lane", "text", "color", "tag")
    list_display = ("text", "journey", "phase", "lane", "position")
    list_filter = ("journey",)
    search_fields = ("text", "tag")
    list_select_related = ("journey", "phase", "lane")


@admin.register(Emotion)
class EmotionAdmin(ThroughServicesAdmin):
    kind = services.EMOTION
    fields = ("journey", "phase", "source", "score", "label", "emoji", "note")
    list_display = ("journey", "phase", "source", "score", "label", "emoji")
    list_filter = ("source", "journey")
    list_select_related = ("journey", "phase")

    # A measured VoC emotion is shown, not edited: the service refuses it (voc_emotion_read_only),
    # and these keep the admin from offering what would be refused.
    def has_change_permission(self, request, obj=None):
        voc = obj is not None and obj.source == Emotion.Source.VOC
        return not voc and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        voc = obj is not None and obj.source == Emotion.Source.VOC
        return not voc and super().has_delete_permission(request, obj)


@admin.register(Opportunity)
class OpportunityAdmin(ThroughServicesAdmin):
    kind = services.OPPORTUNITY
    placement = ("phase",)
    fields = (
        "journey",
        "phase",
        "touchpoint",
        "title",
        "description",
        "impact",
        "effort",
        "status",
        "owner",
        "due_date",
        "kpi",
        "target",
    )
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


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    """Every read-only link out of the tool, for admins to audit; revoking goes through the
    service (visitors are disconnected, the map's log records it). Links are made on the map."""

    list_display = ("journey", "target", "label", "created_by", "created_at", "expires_at", "state")
    list_filter = ("target", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("journey__title", "label")
    list_select_related = ("journey", "created_by")
    readonly_fields = [f.name for f in ShareLink._meta.fields if f.name != "token"]
    exclude = ("token",)  # the address is the credential: it stays with the map's editors
    actions = ["revoke"]

    @admin.display(description="state")
    def state(self, link: ShareLink) -> str:
        return link.state_at(timezone.now())

    @admin.action(description="Revoke the selected links")
    def revoke(self, request, queryset) -> None:
        for link in queryset.filter(revoked_at__isnull=True):
            services.share_link_revoke(actor=request.user, share_link_id=link.pk)
        self.message_user(request, "The selected links no longer work.")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
