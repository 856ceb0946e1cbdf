"""factory_boy factories: a realistic object with one line, overriding only what a test needs."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from journeys.models import Card, Emotion, Journey, Lane, Opportunity, Phase
from journeys.permissions import ROLE_GROUPS, Role
from journeys.positions import GAP
from personas.models import Persona, PersonaGroup
from touchpoints.models import Touchpoint


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("s3cret-pass")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            group, _ = Group.objects.get_or_create(name=ROLE_GROUPS[Role(extracted)])
            user.groups.add(group)


class PersonaGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonaGroup

    name = factory.Sequence(lambda n: f"Segment {n}")


class PersonaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Persona

    name = factory.Faker("name")
    role = "Operations manager"
    segment = "Mid-market"
    goals = factory.LazyFunction(lambda: ["Save time"])
    frustrations = factory.LazyFunction(lambda: ["Slow support"])
    quote = "I don't have time to chase answers."


class JourneyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Journey
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Journey {n}")
    owner = factory.SubFactory(UserFactory, role=Role.EDITOR)


class PhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Phase

    journey = factory.SubFactory(JourneyFactory)
    name = factory.Sequence(lambda n: f"Phase {n}")
    position = factory.Sequence(lambda n: (n + 1) * GAP)


class LaneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lane

    journey = factory.SubFactory(JourneyFactory)
    name = factory.Sequence(lambda n: f"Lane {n}")
    kind = Lane.Kind.ACTIONS
    position = factory.Sequence(lambda n: (n + 1) * GAP)


class CardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Card

    journey = factory.SubFactory(JourneyFactory)
    phase = factory.SubFactory(PhaseFactory, journey=factory.SelfAttribute("..journey"))
    lane = factory.SubFactory(LaneFactory, journey=factory.SelfAttribute("..journey"))
    text = factory.Faker("sentence", nb_words=4)
    position = factory.Sequence(lambda n: (n + 1) * GAP)


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    journey = factory.SubFactory(JourneyFactory)
    phase = factory.SubFactory(PhaseFactory, journey=factory.SelfAttribute("..journey"))
    lane = factory.SubFactory(
        LaneFactory, journey=factory.SelfAttribute("..journey"), kind=Lane.Kind.TOUCHPOINTS
    )
    name = "Website"
    channel = "website"
    code = factory.Sequence(lambda n: f"touchpoint-{n}")
    position = factory.Sequence(lambda n: (n + 1) * GAP)


class EmotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Emotion

    journey = factory.SubFactory(JourneyFactory)
    phase = factory.SubFactory(PhaseFactory, journey=factory.SelfAttribute("..journey"))
    score = 1
    label = "Curious"
    emoji = "🙂"


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity

    journey = factory.SubFactory(JourneyFactory)
    phase = factory.SubFactory(PhaseFactory, journey=factory.SelfAttribute("..journey"))
    title = "Status updates by email"
    impact = 4
    effort = 2
    position = factory.Sequence(lambda n: (n + 1) * GAP)


class SurveySourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "feedback.SurveySource"

    name = factory.Sequence(lambda n: f"Post-visit survey {n}")
    kind = "upload"
