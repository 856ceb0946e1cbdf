"""Touchpoints: where the customer meets the brand, matched later to survey data by code."""

from django.db import models

from journeys.models import JourneyItem, Lane, Phase
from personas.models import Channel


class Department(models.TextChoices):
    MARKETING = "marketing", "Marketing"
    SALES = "sales", "Sales"
    SERVICE = "service", "Service"
    FIELD_SERVICE = "field_service", "Field service"
    PRODUCT = "product", "Product"
    OTHER = "other", "Other"


class Touchpoint(JourneyItem):
    journey = models.ForeignKey(
        "journeys.Journey", on_delete=models.CASCADE, related_name="touchpoints"
    )
    phase = models.ForeignKey(Phase, on_delete=models.RESTRICT, related_name="touchpoints")
    lane = models.ForeignKey(Lane, on_delete=models.RESTRICT, related_name="touchpoints")
    name = models.CharField(max_length=120)
    channel = models.CharField(max_length=24, choices=Channel.choices, default=Channel.WEBSITE)
    department = models.CharField(
        "owning department", max_length=24, choices=Department.choices, default=Department.OTHER
    )
    description = models.TextField(blank=True)
    is_moment_that_matters = models.BooleanField("moment that matters", default=False)
    # Set once (from the phase and name) and kept on rename, so survey rows keep matching.
    code = models.SlugField(max_length=80)
    position = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["journey", "lane", "phase", "position", "id"]
        indexes = [models.Index(fields=["journey", "lane", "phase", "position"])]
        constraints = [
            models.UniqueConstraint(fields=["journey", "code"], name="touchpoint_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_channel_display()})"
