from django.contrib import admin

from personas import services
from personas.models import Persona, PersonaGroup


class AuditedAdmin(admin.ModelAdmin):
    readonly_fields = ("version", "created_by", "created_at", "updated_by", "updated_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        else:
            obj.version += 1
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(PersonaGroup)
class PersonaGroupAdmin(AuditedAdmin):
    list_display = ("name", "updated_at")
    search_fields = ("name",)


@admin.register(Persona)
class PersonaAdmin(AuditedAdmin):
    """Saved through the persona services, so every map that uses the persona hears of it."""

    def save_model(self, request, obj, form, change):
        fields = {
            field: form.cleaned_data[field]
            for field in (form.changed_data if change else form.cleaned_data)
            if field not in AuditedAdmin.readonly_fields
        }
        if not change:
            obj.pk = services.persona_create(actor=request.user, **fields).pk
            return
        current = Persona.objects.values_list("version", flat=True).get(pk=obj.pk)
        services.persona_update(
            actor=request.user, persona_id=obj.pk, version=current, changes=fields
        )

    def delete_model(self, request, obj):
        services.persona_delete(actor=request.user, persona_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)

    list_display = ("name", "role", "segment", "group", "updated_at")
    list_filter = ("group", "segment")
    search_fields = ("name", "role", "segment", "bio")
    fieldsets = (
        (None, {"fields": ("name", "group", "photo", "avatar", "role", "segment", "bio", "quote")}),
        ("Demographics", {"fields": ("age_range", "location", "occupation", "income_band")}),
        (
            "What drives them",
            {
                "fields": (
                    "goals",
                    "needs",
                    "frustrations",
                    "motivations",
                    "expectations",
                    "behaviours",
                    "preferred_channels",
                )
            },
        ),
        ("Audit", {"fields": AuditedAdmin.readonly_fields}),
    )
