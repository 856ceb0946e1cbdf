from rest_framework import serializers

from personas.models import Channel, Persona, PersonaGroup


def _statements() -> serializers.ListField:
    """A list of short statements (goals, needs…), each non-blank."""
    return serializers.ListField(
        child=serializers.CharField(max_length=500, trim_whitespace=True),
        max_length=50,
        required=False,
    )


class PersonaGroupSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(min_value=1, required=False)

    class Meta:
        model = PersonaGroup
        fields = ["id", "name", "description", "version", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class PersonaSerializer(serializers.ModelSerializer):
    """A persona as shown in the library and on every map that uses it."""

    group = serializers.PrimaryKeyRelatedField(
        queryset=PersonaGroup.objects.all(), allow_null=True, required=False
    )
    goals = _statements()
    needs = _statements()
    frustrations = _statements()
    motivations = _statements()
    expectations = _statements()
    behaviours = _statements()
    preferred_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), max_length=20, required=False
    )
    photo = serializers.ImageField(required=False, allow_null=True, use_url=True)
    version = serializers.IntegerField(min_value=1, required=False)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True, allow_null=True)
    updated_by = serializers.IntegerField(source="updated_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Persona
        fields = [
            "id",
            "name",
            "group",
            "photo",
            "avatar",
            "role",
            "segment",
            "bio",
            "age_range",
            "location",
            "occupation",
            "income_band",
            *Persona.STATEMENT_FIELDS,
            "preferred_channels",
            "quote",
            "version",
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
