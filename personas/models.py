"""The persona library: who the journeys are about."""

from django.conf import settings
from django.db import models


class Channel(models.TextChoices):
    """How a customer reaches the brand; shared by personas (preferences) and touchpoints."""

    WEBSITE = "website", "Website"
    MOBILE_APP = "mobile_app", "Mobile app"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    SOCIAL = "social", "Social"
    SMS = "sms", "SMS"
    IN_PERSON = "in_person", "In person"
    CUSTOMER_PORTAL = "customer_portal", "Customer portal"
    OTHER = "other", "Other"


class Audited(models.Model):
    """Who created and last changed a library entry, and when."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True


class PersonaGroup(Audited):
    """Similar personas kept together (e.g. "Small business buyers")."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Persona(Audited):
    # The lists of short statements the team writes, one per line in forms.
    STATEMENT_FIELDS = (
        "goals",
        "needs",
        "frustrations",
        "motivations",
        "expectations",
        "behaviours",
    )

    name = models.CharField(max_length=120)
    group = models.ForeignKey(
        PersonaGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="personas"
    )
    photo = models.ImageField(upload_to="personas/", blank=True)
    avatar = models.CharField(
        max_length=16, blank=True, help_text="An emoji or initials shown when there is no photo."
    )
    role = models.CharField("role or job title", max_length=120, blank=True)
    segment = models.CharField(max_length=120, blank=True)
    bio = models.TextField("short bio", blank=True)
    # Demographics
    age_range = models.CharField(max_length=40, blank=True)
    location = models.CharField(max_length=120, blank=True)
    occupation = models.CharField(max_length=120, blank=True)
    income_band = models.CharField(max_length=60, blank=True)
    # Lists of short statements, in the order the team wrote them.
    goals = models.JSONField(default=list, blank=True)
    needs = models.JSONField(default=list, blank=True)
    frustrations = models.JSONField("frustrations and pain points", default=list, blank=True)
    motivations = models.JSONField(default=list, blank=True)
    expectations = models.JSONField(default=list, blank=True)
    behaviours = models.JSONField(default=list, blank=True)
    preferred_channels = models.JSONField(default=list, blank=True)
    quote = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["segment"])]

    def __str__(self) -> str:
        return self.name
