from django import forms

from personas.models import Channel, Persona, PersonaGroup


class StatementsField(forms.CharField):
    """A list of short statements, typed one per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if any(len(line) > 500 for line in value):
            raise forms.ValidationError("Keep each line under 500 characters.")


class PersonaForm(forms.ModelForm):
    goals = StatementsField(required=False, help_text="One per line.")
    needs = StatementsField(required=False, help_text="One per line.")
    frustrations = StatementsField(
        required=False, label="Frustrations and pain points", help_text="One per line."
    )
    motivations = StatementsField(required=False, help_text="One per line.")
    expectations = StatementsField(required=False, help_text="One per line.")
    behaviours = StatementsField(required=False, help_text="One per line.")
    preferred_channels = forms.MultipleChoiceField(
        choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Persona
        fields = [
            "name",
            "group",
            "photo",
            "avatar",
            "role",
            "segment",
            "bio",
            "quote",
            "age_range",
            "location",
            "occupation",
            "income_band",
            *Persona.STATEMENT_FIELDS,
            "preferred_channels",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}


class PersonaGroupForm(forms.ModelForm):
    """A new group, added from the library page."""

    class Meta:
        model = PersonaGroup
        fields = ["name", "description"]
        widgets = {"description": forms.TextInput()}
