from typing import Any

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from config.errors import error_answer
from journeys import services
from journeys.actions import CREATE, DELETE, MOVE, UPDATE, actions_of
from journeys.changes import ItemType
from journeys.exceptions import JourneyboardError
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


def refusal_text(body: dict[str, Any]) -> str:
    """An error answer in words: its detail, then each field's messages."""
    errors = "; ".join(
        f"{field}: {' '.join(map(str, messages))}"
        for field, messages in body.get("errors", {}).items()
    )
    return f"{body['detail']} {errors}".strip()


class ThroughServicesAdmin(admin.ModelAdmin):
    """Admin saves and deletes are actions of the table (``journeys.actions``), like REST calls
    and socket frames: the same input rules and services, so they bump the map's revision, are
    logged as events, reach open maps and are refused for the same reasons. A refusal is shown
    on the form's page as an error, and nothing is saved."""

    kind: ItemType
    placement: tuple[str, ...] = ()  # fields whose change is a move: ("phase", "lane")

    def _input(self, form, fields) -> dict[str, Any]:
        """Form values in the API's input shape: related objects by id, under the field's name."""
        values = {}
        for field in fields:
            value = form.cleaned_data[field]
            values[field] = value.pk if hasattr(value, "pk") else value
        return values

    def save_model(self, request, obj, form, change):
        actions = actions_of(self.kind)
        try:
            if not change:
                # A field left blank is not given: the service's default (or derivation) applies.
                given = {k: v for k, v in self._input(form, form.cleaned_data).items() if v != ""}
                created = actions[CREATE].run(actor=request.user, data=given)
                obj.pk = created.pk
                return
            edited = [f for f in form.changed_data if f not in self.placement and f != "journey"]
            if edited:
                data = {**self._input(form, edited), "version": obj.version}
                obj.version = actions[UPDATE].run(actor=request.user, data=data, pk=obj.pk).version
            moved = [f for f in self.placement if f in form.changed_data]
            if moved:
                # To the end of the new cell, as a drop onto it would.
                data = {**self._input(form, moved), "index": 10**9, "version": obj.version}
                actions[MOVE].run(actor=request.user, data=data, pk=obj.pk)
        except (JourneyboardError, ValidationError) as refused:
            request._journeyboard_refused = refused

    # What a delete sends beyond the item: the touchpoint admin confirms (its confirmation
    # page has named the survey evidence that goes).
    delete_data: dict[str, Any] = {}

    def delete_model(self, request, obj):
        try:
            actions_of(self.kind)[DELETE].run(actor=request.user, data=self.delete_data, pk=obj.pk)
        except (JourneyboardError, ValidationError) as refused:
            request._journeyboard_refused = refused

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    def get_deleted_objects(self, objs, request):
        # What may go with an item (a phase's cards…) is the service's rule, and its refusal
        # says why; Django's own protected-objects page would refuse first, in other words.
        deleted, model_count, perms_needed, _protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, perms_needed, []

    def _refused(self, request) -> HttpResponseRedirect | None:
        refused = getattr(request, "_journeyboard_refused", None)
        if refused is None:
            return None
        _, body = error_answer(refused)
        errors = "; ".join(
            f"{field}: {' '.join(map(str, messages))}"
            for field, messages in body.get("errors", {}).items()
        )
        self.message_user(request, f"Not saved: {body['detail']} {errors}".strip(), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())

    def response_add(self, request, obj, post_url_continue=None):
        return self._refused(request) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._refused(request) or super().response_change(request, obj)

    def response_delete(self, request, obj_display, obj_id):
        return self._refused(request) or super().response_delete(request, obj_display, obj_id)


class ThroughServicesInline(admin.TabularInline):
    """A map's phases or lanes, edited on the map's page: each added, changed or deleted row
    is an action of the table, saved by ``JourneyAdmin.save_related`` (never ``formset.save``)."""

    kind: ItemType
    extra = 0
    show_change_link = True


class PhaseInline(ThroughServicesInline):
    model = Phase
    kind = services.PHASE
    fields = ("name", "description", "customer_goal", "position")
    readonly_fields = ("position",)


class LaneInline(ThroughServicesInline):
    model = Lane
    kind = services.LANE
    fields = ("name", "kind", "position")
    readonly_fields = ("position",)


@admin.register(Journey)
class JourneyAdmin(admin.ModelAdmin):
    """A map and its phases and lanes on one page. The save is a series of actions, each an
    event on the map: first the inline rows (item rows are locked before the journey row, the
    one lock order of ``journeys.changes``), then the map's own fields. A refusal anywhere rolls
    the whole save back and is shown on the page: nothing is half-saved."""

    list_display = ("title", "persona", "state", "status", "owner", "is_restricted", "updated_at")
    list_filter = ("state", "status", "is_restricted", "persona")
    search_fields = ("title", "description", "scenario")
    filter_horizontal = ("collaborators",)
    readonly_fields = ("revision", "version", "created_at", "updated_at")
    inlines = [PhaseInline, LaneInline]

    _SCALAR = (
        "title",
        "description",
        "scenario",
        "persona",
        "state",
        "status",
        "owner",
        "is_restricted",
    )

    def _values(self, form, fields) -> dict[str, Any]:
        """The form's values in ``journey_update``'s shape (related objects by id)."""
        values: dict[str, Any] = {}
        for field in fields:
            value = form.cleaned_data[field]
            if field == "collaborators":
                values["collaborator_ids"] = [user.pk for user in value]
            elif field in ("persona", "owner"):
                values[f"{field}_id"] = value.pk if value is not None else None
            else:
                values[field] = value
        return values

    def save_model(self, request, obj, form, change):
        """Nothing yet: the map and its rows are saved together, in ``save_related``."""

    def save_related(self, request, form, formsets, change):
        """The map's save, in one savepoint: a new map is created (blank) first, then each
        inline row's action, then the map's changed fields. A refusal undoes all of it."""
        # Not Django's form.save_m2m(): collaborators change through journey_update, which
        # tells the sockets of people who lost (or gained) the map.
        journey = form.instance
        try:
            with transaction.atomic():
                if not change:
                    values = self._values(form, [*self._SCALAR, "collaborators"])
                    values.pop("owner_id", None)  # the creator owns a new map
                    title = values.pop("title")
                    journey.pk = services.journey_create(
                        actor=request.user, title=title, **values
                    ).pk
                for formset in formsets:
                    self.save_formset(request, form, formset, change=change)
                edited = [f for f in (*self._SCALAR, "collaborators") if f in form.changed_data]
                if change and edited:
                    current = Journey.objects.values_list("version", flat=True).get(pk=journey.pk)
                    services.journey_update(
                        actor=request.user,
                        journey_id=journey.pk,
                        version=current,
                        changes=self._values(form, edited),
                    )
        except (JourneyboardError, ValidationError) as refused:
            request._journeyboard_refused = refused
            if not change:
                journey.pk = None
            for formset in formsets:  # Django's change message reads these: nothing was saved
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        if not change:
            journey.refresh_from_db()

    # A refused save is not in the admin's history: nothing changed.
    def log_addition(self, request, obj, message):
        if getattr(request, "_journeyboard_refused", None) is None:
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if getattr(request, "_journeyboard_refused", None) is None:
            return super().log_change(request, obj, message)
        return None

    def save_formset(self, request, form, formset, change):
        """Each row's add, change or delete as its action (``journeys.actions``)."""
        kind = formset.form._meta.model
        actions = actions_of(services.PHASE if kind is Phase else services.LANE)
        journey_id = form.instance.pk
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        editable = [f for f in formset.form._meta.fields if f != "position"]
        for row in formset.deleted_forms:
            if row.instance.pk is not None:
                data = {"version": row.instance.version}
                actions[DELETE].run(actor=request.user, data=data, pk=row.instance.pk)
                formset.deleted_objects.append(row.instance)
        for row in formset.forms:
            if row in formset.deleted_forms or not row.has_changed():
                continue
            if row.instance.pk is None:
                data = {f: row.cleaned_data[f] for f in editable if row.cleaned_data.get(f) != ""}
                created = actions[CREATE].run(actor=request.user, data=data, journey_id=journey_id)
                formset.new_objects.append(created)
            else:
                changed = [f for f in row.changed_data if f in editable]
                data = {f: row.cleaned_data[f] for f in changed}
                saved = actions[UPDATE].run(
                    actor=request.user,
                    data={**data, "version": row.instance.version},
                    pk=row.instance.pk,
                    journey_id=journey_id,
                )
                formset.changed_objects.append((saved, changed))

    _refused = ThroughServicesAdmin._refused

    def response_add(self, request, obj, post_url_continue=None):
        return self._refused(request) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._refused(request) or super().response_change(request, obj)


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
    # The team's estimate is edited here; the customers' (VoC) comes from survey imports only.
    readonly_fields = ("source",)
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
