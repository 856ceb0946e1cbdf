"""Journey maps: phases (columns) × lanes (rows), with cards, emotions and opportunities.

Invariants kept by the database: positions order the items of a cell, an emotion score lies
in −3…+3, a phase holds one emotion per source, and a phase or lane that still holds content
cannot be deleted (``RESTRICT``) unless its journey goes with it.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from personas.models import Persona


class Journey(models.Model):
    class State(models.TextChoices):
        CURRENT = "current", "Current state"
        FUTURE = "future", "Future state"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        VALIDATED = "validated", "Validated"
        ARCHIVED = "archived", "Archived"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    scenario = models.TextField(blank=True, help_text="The customer's goal in this journey.")
    persona = models.ForeignKey(
        Persona, null=True, blank=True, on_delete=models.SET_NULL, related_name="journeys"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.CURRENT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_journeys",
    )
    collaborators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="collaborating_journeys"
    )
    is_restricted = models.BooleanField(
        default=False, help_text="Only the owner, collaborators and admins can see the map."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every change to anything on the map; clients use it to spot missed events.
    revision = models.PositiveBigIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["status", "state"])]

    def __str__(self) -> str:
        return self.title


class JourneyItem(models.Model):
    """Something drawn on one journey's map, edited with optimistic versions."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who saved the current version: a refused stale edit tells the user who got there first.
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        abstract = True


class Phase(JourneyItem):
    """A column: a stage of the customer's journey."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    customer_goal = models.TextField(blank=True)
    # Gapped integers: a move writes one row; a renumber happens only when a gap runs out.
    position = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["journey", "position", "id"]
        indexes = [models.Index(fields=["journey", "position"])]

    def __str__(self) -> str:
        return self.name


class Lane(JourneyItem):
    """A row: one kind of content across all phases."""

    class Kind(models.TextChoices):
        ACTIONS = "actions", "Actions"
        TOUCHPOINTS = "touchpoints", "Touchpoints"
        THOUGHTS = "thoughts", "Thoughts"
        EMOTIONS = "emotions", "Emotions"
        PAIN_POINTS = "pain_points", "Pain points"
        OPPORTUNITIES = "opportunities", "Opportunities"
        PROCESS_OWNERSHIP = "process_ownership", "Process ownership"
        CHANNELS = "channels", "Channels"
        KPIS = "kpis", "KPIs"
        BACKSTAGE = "backstage", "Backstage"
        NOTES = "notes", "Notes"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="lanes")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.NOTES)
    position = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["journey", "position", "id"]
        indexes = [models.Index(fields=["journey", "position"])]

    def __str__(self) -> str:
        return self.name


class Card(JourneyItem):
    """A text item in one cell (lane × phase)."""

    class Color(models.TextChoices):
        YELLOW = "yellow", "Yellow"
        BLUE = "blue", "Blue"
        GREEN = "green", "Green"
        PINK = "pink", "Pink"
        PURPLE = "purple", "Purple"
        ORANGE = "orange", "Orange"
        GREY = "grey", "Grey"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="cards")
    phase = models.ForeignKey(Phase, on_delete=models.RESTRICT, related_name="cards")
    lane = models.ForeignKey(Lane, on_delete=models.RESTRICT, related_name="cards")
    text = models.TextField()
    color = models.CharField(max_length=16, choices=Color.choices, blank=True)
    tag = models.CharField(max_length=60, blank=True)
    position = models.BigIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["journey", "lane", "phase", "position", "id"]
        indexes = [models.Index(fields=["journey", "lane", "phase", "position"])]

    def __str__(self) -> str:
        return self.text[:60]


class Emotion(JourneyItem):
    """How the customer feels in one phase: the team's estimate, or measured from VoC."""

    class Source(models.TextChoices):
        TEAM = "team", "Team estimate"
        VOC = "voc", "Voice of the customer"

    MIN_SCORE, MAX_SCORE = -3, 3

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="emotions")
    phase = models.ForeignKey(Phase, on_delete=models.RESTRICT, related_name="emotions")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.TEAM)
    score = models.SmallIntegerField()
    label = models.CharField(max_length=60, blank=True)
    emoji = models.CharField(max_length=16, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["journey", "phase", "source"]
        constraints = [
            models.UniqueConstraint(
                fields=["phase", "source"], name="one_emotion_per_phase_source"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=-3) & Q(score__lte=3), name="emotion_score_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phase_id}: {self.score:+d} ({self.source})"


class Opportunity(JourneyItem):
    """An improvement idea tied to a phase (and maybe a touchpoint), with its action plan."""

    class Status(models.TextChoices):
        IDEA = "idea", "Idea"
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="opportunities")
    phase = models.ForeignKey(Phase, on_delete=models.RESTRICT, related_name="opportunities")
    # Which Opportunities lane shows it, when the map has several; empty: the first one (and
    # it falls back there when its lane is deleted).
    lane = models.ForeignKey(
        Lane, null=True, blank=True, on_delete=models.SET_NULL, related_name="opportunities"
    )
    touchpoint = models.ForeignKey(
        "touchpoints.Touchpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    # The code of the touchpoint it was linked to when that touchpoint was deleted: undo, or a
    # touchpoint created again with that code, links it back. Empty otherwise.
    unlinked_from = models.SlugField(max_length=80, blank=True, db_default="", db_index=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    impact = models.PositiveSmallIntegerField(default=3, help_text="1 (low) to 5 (high)")
    effort = models.PositiveSmallIntegerField(default=3, help_text="1 (low) to 5 (high)")
    # High impact for little effort first: impact × (6 − effort), from 1 to 25.
    priority = models.GeneratedField(
        expression=F("impact") * (6 - F("effort")),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IDEA)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    kpi = models.CharField("KPI", max_length=200, blank=True)
    target = models.CharField(max_length=200, blank=True)
    position = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["journey", "phase", "position", "id"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(
                condition=Q(impact__gte=1) & Q(impact__lte=5), name="opportunity_impact_1_5"
            ),
            models.CheckConstraint(
                condition=Q(effort__gte=1) & Q(effort__lte=5), name="opportunity_effort_1_5"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def priority_level(self) -> str:
        score = self.impact * (6 - self.effort)
        return "high" if score >= 15 else "medium" if score >= 8 else "low"


class JourneyEvent(models.Model):
    """One applied change to a map, numbered by the journey's revision (the replay log)."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="events")
    revision = models.PositiveBigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["journey", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["journey", "revision"], name="one_event_per_revision")
        ]

    def __str__(self) -> str:
        return f"{self.journey_id}@{self.revision} {self.kind}"


class ShareLink(models.Model):
    """A read-only link to a map or its dashboard for people without an account.

    The token is the only credential: 256 random bits, unique, never reused. A link stops
    working when it expires or is revoked; the row stays so its owner sees what was shared.
    """

    class Target(models.TextChoices):
        MAP = "map", "Map"
        DASHBOARD = "dashboard", "Dashboard"

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="share_links")
    target = models.CharField(max_length=16, choices=Target.choices, default=Target.MAP)
    token = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(
        max_length=120, blank=True, help_text="Who or what the link is for (seen only by editors)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_opened_at = models.DateTimeField(null=True, blank=True)
    opened_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["journey", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_target_display()} link to journey {self.journey_id}"

    def state_at(self, now) -> str:
        """active, expired or revoked."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"
