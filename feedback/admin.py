"""Survey sources and import runs in the admin. Secrets can be set, never read back."""

from django import forms
from django.contrib import admin

from feedback import services
from feedback.models import ImportRun, SurveySource

SECRET_NAMES = ("api_token", "access_token", "token", "webhook_secret")


class SurveySourceForm(forms.ModelForm):
    """Each secret is a password box that shows nothing; left empty, the stored value stays."""

    class Meta:
        model = SurveySource
        fields = [
            "name",
            "kind",
            "journey",
            "field_mapping",
            "matching_rules",
            "options",
            "sync_every_minutes",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stored = (self.instance.credentials or {}) if self.instance.pk else {}
        for name in SECRET_NAMES:
            self.fields[name] = forms.CharField(
                required=False,
                widget=forms.PasswordInput(render_value=False),
                help_text="Set" if stored.get(name) else "Not set",
                label=name.replace("_", " ").capitalize(),
            )

    def clean(self) -> dict:
        from feedback.connectors import source_address

        data = super().clean()
        source = self.instance
        if source.pk and source.credentials and not any(data.get(n) for n in SECRET_NAMES):
            before = source_address(source.kind, source.options)
            after = source_address(data.get("kind", source.kind), data.get("options"))
            if after != before:
                # The service refuses it too: a stored token never follows a new address.
                raise forms.ValidationError(
                    "The source now points elsewhere: set its credentials again."
                )
        return data


@admin.register(SurveySource)
class SurveySourceAdmin(admin.ModelAdmin):
    form = SurveySourceForm
    list_display = ["name", "kind", "journey", "sync_every_minutes", "last_synced_at"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        secrets = {
            name: form.cleaned_data[name] for name in SECRET_NAMES if form.cleaned_data[name]
        }
        if not change:
            fields = {f: form.cleaned_data[f] for f in SurveySourceForm.Meta.fields}
            journey = fields.pop("journey")
            created = services.survey_source_create(
                actor=request.user,
                journey_id=journey.pk if journey else None,
                credentials=secrets,
                **fields,
            )
            obj.pk = created.pk
            return
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        for name in SECRET_NAMES:
            changes.pop(name, None)
        changes.pop("journey", None)
        if secrets:
            changes["credentials"] = secrets
        services.survey_source_update(actor=request.user, source=obj, changes=changes)

    # Through the service, which locks the source first: an import in flight keeps its
    # responses by that lock, not by a foreign-key constraint.
    def delete_model(self, request, obj):
        # The admin's own confirmation page, which names the responses that go, has asked.
        services.survey_source_delete(actor=request.user, source=obj, confirm=True)

    def delete_queryset(self, request, queryset):
        for source in queryset.order_by("pk"):
            self.delete_model(request, source)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ["source", "state", "read", "imported", "failed", "unmatched", "created_at"]
    list_filter = ["state"]
    # The raw file has no address (nothing serves it): the admin says whether it is still kept.
    exclude = ["upload"]
    readonly_fields = [f.name for f in ImportRun._meta.fields if f.name != "upload"] + ["raw_file"]

    @admin.display(description="raw file")
    def raw_file(self, run: ImportRun) -> str:
        return "kept until the import no longer needs it" if run.upload else "deleted"

    def has_add_permission(self, request) -> bool:
        return False  # runs start from an upload or a sync, never by hand
