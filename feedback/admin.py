"""Survey sources and import runs in the admin. Secrets can be set, never read back."""

from django import forms
from django.contrib import admin

from feedback import services
from feedback.connectors.kinds import KIND_SETTINGS
from feedback.models import ImportRun, SurveySource


def _field_name(kind: str, key: str) -> str:
    """The form field of one kind's option or credential (``typeform_form_id``)."""
    return f"{kind}_{key}"


class SurveySourceForm(forms.ModelForm):
    """The kind's options as form fields and its credentials as password boxes, one fieldset
    per kind (``feedback.connectors.kinds``, the table the editor's form is drawn from). A
    password box shows nothing; left empty, the stored secret stays. Checked by the API's own
    serializer, so the admin accepts exactly what the API accepts."""

    class Meta:
        model = SurveySource
        fields = [
            "name",
            "kind",
            "journey",
            "field_mapping",
            "matching_rules",
            "sync_every_minutes",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        source = self.instance
        stored = (source.credentials or {}) if source.pk else {}
        for described in KIND_SETTINGS.values():
            current = described.kind == source.kind and source.pk is not None
            for setting in described.options:
                field_class = forms.FloatField if setting.number else forms.CharField
                field = field_class(required=False, label=setting.label, help_text=setting.help)
                if isinstance(field, forms.CharField):
                    field.widget.attrs["placeholder"] = setting.placeholder
                if current:
                    field.initial = (source.options or {}).get(setting.key)
                self.fields[_field_name(described.kind, setting.key)] = field
            for setting in described.credentials:
                is_set = current and bool(stored.get(setting.key))
                self.fields[_field_name(described.kind, setting.key)] = forms.CharField(
                    required=False,
                    widget=forms.PasswordInput(render_value=False),
                    label=setting.label,
                    help_text=(
                        "Set — leave empty to keep it, or type a new one to replace it."
                        if is_set
                        else "Not set."
                    )
                    + (f" {setting.help}" if setting.help else ""),
                )

    def clean(self) -> dict:
        from feedback.connectors import source_address

        data = super().clean()
        source = self.instance
        kind = data.get("kind") or source.kind
        options, secrets = self._kind_values(data, kind)
        data["options"], data["credentials"] = options, secrets
        if source.pk and source.credentials and not secrets:
            before = source_address(source.kind, source.options)
            if source_address(kind, options) != before:
                # The service refuses it too: a stored token never follows a new address.
                raise forms.ValidationError(
                    "The source now points elsewhere: set its credentials again."
                )
        self._api_check(data, kind, options, secrets)
        return data

    def _kind_values(self, data: dict, kind: str) -> tuple[dict, dict]:
        """The chosen kind's options (empty ones left out) and the secrets typed in."""
        described = KIND_SETTINGS.get(kind)
        options, secrets = {}, {}
        for setting in described.options if described else ():
            value = data.get(_field_name(kind, setting.key))
            if value in (None, ""):
                continue
            if setting.number and float(value).is_integer():
                value = int(value)
            options[setting.key] = value
        for setting in described.credentials if described else ():
            if data.get(_field_name(kind, setting.key)):
                secrets[setting.key] = data[_field_name(kind, setting.key)]
        return options, secrets

    def _api_check(self, data: dict, kind: str, options: dict, secrets: dict) -> None:
        """The API's checks, to the letter (options, credentials, schedule)."""
        from feedback.serializers import SurveySourceSerializer

        checked = {"kind": kind, "options": options}
        if secrets:
            checked["credentials"] = secrets
        if "sync_every_minutes" in data:
            checked["sync_every_minutes"] = data["sync_every_minutes"]
        source = self.instance if self.instance.pk else None
        serializer = SurveySourceSerializer(source, data=checked, partial=True)
        if serializer.is_valid():
            return
        for name, messages in serializer.errors.items():
            for message in messages if isinstance(messages, list) else [messages]:
                self.add_error(None, f"{name.replace('_', ' ').capitalize()}: {message}")


@admin.register(SurveySource)
class SurveySourceAdmin(admin.ModelAdmin):
    form = SurveySourceForm
    list_display = ["name", "kind", "journey", "sync_every_minutes", "last_synced_at"]
    list_filter = ["kind"]
    search_fields = ["name"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The kinds' fields are made per form (in __init__), not model fields: the fieldsets
        # name them, so the model form is built from the model's own fields alone.
        kwargs["fields"] = SurveySourceForm.Meta.fields
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": SurveySourceForm.Meta.fields})]
        for described in KIND_SETTINGS.values():
            names = [_field_name(described.kind, s.key) for s in described.options]
            names += [_field_name(described.kind, s.key) for s in described.credentials]
            fieldsets.append(
                (
                    f"{described.label} settings",
                    {
                        "fields": names,
                        "description": f"Used when the kind is {described.label}.",
                        "classes": [] if obj and obj.kind == described.kind else ["collapse"],
                    },
                )
            )
        return fieldsets

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            fields = {f: data[f] for f in SurveySourceForm.Meta.fields}
            journey = fields.pop("journey")
            created = services.survey_source_create(
                actor=request.user,
                journey_id=journey.pk if journey else None,
                options=data["options"],
                credentials=data["credentials"],
                **fields,
            )
            obj.pk = created.pk
            return
        stored = SurveySource.objects.get(pk=obj.pk)
        changes = {f: data[f] for f in form.changed_data if f in SurveySourceForm.Meta.fields}
        changes.pop("journey", None)
        if data["options"] != stored.options or "kind" in changes:
            changes["options"] = data["options"]
        if data["credentials"]:
            changes["credentials"] = data["credentials"]
        services.survey_source_update(actor=request.user, source=stored, changes=changes)

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
