from django.contrib import admin

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
