from django import forms

from journeys.map_templates import TEMPLATES
from journeys.models import Journey
from personas.models import Persona


class JourneyCreateForm(forms.Form):
    title = forms.CharField(max_length=200)
    template = forms.ChoiceField(
        choices=[(key, t.label) for key, t in TEMPLATES.items()], initial="five_phase"
    )
    persona = forms.ModelChoiceField(
        queryset=Persona.objects.order_by("name"), required=False, empty_label="No persona yet"
    )


class JourneyFilterForm(forms.Form):
    search = forms.CharField(
        required=False,
        label="Search titles",
        # The label is read out but not shown (the filter bar is one line): say it here too.
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search titles"}),
    )
    persona = forms.ModelChoiceField(
        queryset=Persona.objects.order_by("name"), required=False, empty_label="Any persona"
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *Journey.Status.choices], required=False
    )
    state = forms.ChoiceField(choices=[("", "Any state"), *Journey.State.choices], required=False)

    def __init__(self, *args, **kwargs) -> None:
        # The journey list shows this form beside the create form, which has a persona field
        # too: ids of their own keep each label pointing at its own control.
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
