"""Demo data: three users (admin, editor, viewer), two personas and the filled example map.

Idempotent: running it again changes nothing that is already there.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.shortcuts import resolve_url

from journeys import services
from journeys.models import Journey, Lane, Phase
from journeys.permissions import ROLE_GROUPS, Role
from journeys.roles import ensure_role_groups
from personas.models import Persona, PersonaGroup
from touchpoints.services import touchpoint_create

EXAMPLE_TITLE = "B2B software purchase (example)"

USERS = (
    ("admin", Role.ADMIN, "Ada", "Admin"),
    ("editor", Role.EDITOR, "Eddie", "Editor"),
    ("viewer", Role.VIEWER, "Vera", "Viewer"),
)

PERSONAS = (
    {
        "name": "Olivia Operations",
        "avatar": "👩‍💼",
        "role": "Operations manager",
        "segment": "Mid-market B2B",
        "bio": "Runs operations at a 200-person logistics firm and picks the tools her team uses.",
        "age_range": "35–44",
        "location": "Manchester, UK",
        "occupation": "Operations manager",
        "income_band": "£55k–£70k",
        "goals": ["Cut the time her team spends on manual reporting", "Buy with confidence"],
        "needs": ["Clear pricing", "A trial with her own data", "Fast answers from sales"],
        "frustrations": ["Long legal reviews", "Support tickets that disappear"],
        "motivations": ["Recognition for a smooth roll-out"],
        "expectations": ["A reply within one working day"],
        "behaviours": ["Asks peers before shortlisting", "Reads reviews on her phone"],
        "preferred_channels": ["email", "website", "phone"],
        "quote": "I don't have time to chase a vendor for answers.",
    },
    {
        "name": "Sam Startup",
        "avatar": "🧑‍💻",
        "role": "Founder",
        "segment": "Small business",
        "bio": "Founder of a 12-person agency; buys software on a credit card in an evening.",
        "age_range": "25–34",
        "location": "Lisbon, Portugal",
        "occupation": "Agency founder",
        "income_band": "€40k–€60k",
        "goals": ["Get set up tonight without talking to sales"],
        "needs": ["Self-service sign-up", "Monthly billing"],
        "frustrations": ["Demo-only pricing", "Hidden fees"],
        "motivations": ["Looking professional to clients"],
        "expectations": ["Everything works on mobile"],
        "behaviours": ["Follows brands on social media", "Uses chat before email"],
        "preferred_channels": ["chat", "social", "mobile_app"],
        "quote": "If I can't try it in five minutes, I'm gone.",
    },
)

# Per phase of the five-phase template: actions, touchpoints (name, channel, department),
# the team's emotion (score, label, emoji) and the process owner.
SURVEY_COMMENTS = [
    "The demo answered every question we had",
    "Pricing page was confusing and the checkout failed twice",
    "Support replied quickly and fixed it",
    "Took too long to get an invoice",
    "Easy to set up for the whole team",
]

EXAMPLE = {
    "Awareness": (
        ["Decides to purchase", "Asks a friend"],
        [("Website", "website", "marketing"), ("Twitter", "social", "marketing")],
        (1, "Curious", "🙂"),
        "Marketing",
    ),
    "Consideration": (
        ["Downloads a PDF", "Discovers brand"],
        [("Website", "website", "marketing"), ("Email", "email", "marketing")],
        (2, "Hopeful", "😀"),
        "Marketing",
    ),
    "Conversion": (
        ["Reviews legal docs", "Approves contract"],
        [("Email", "email", "sales"), ("Phone", "phone", "sales")],
        (-1, "Impatient", "😕"),
        "Sales",
    ),
    "Post-Purchase": (
        ["Visits website", "Calls sales"],
        [("Phone", "phone", "sales"), ("Chat", "chat", "service")],
        (0, "Unsure", "😐"),
        "Sales",
    ),
    "Services": (
        ["Submits help ticket"],
        [("Customer portal", "customer_portal", "service")],
        (-2, "Frustrated", "😠"),
        "Service",
    ),
}

OPPORTUNITIES = (
    ("Conversion", "Plain-language contract summary", 4, 2, "planned", "Time to sign", "< 5 days"),
    ("Services", "Ticket status updates by email", 5, 2, "in_progress", "CSAT", "≥ 85%"),
    ("Post-Purchase", "Onboarding call within 48 h", 3, 3, "idea", "Activation rate", "70%"),
)


class Command(BaseCommand):
    help = "Create the demo users, personas and the filled example journey map (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the app is served, for the sign-in address printed at the end.",
        )

    def handle(self, *args, **options) -> None:
        ensure_role_groups()
        with transaction.atomic():
            users = self._users()
            personas = self._personas(users["admin"])
            created = self._example_map(users["editor"], personas[0])
        if created:
            self._survey_responses(users["editor"])
        self.stdout.write(
            self.style.SUCCESS("Demo data ready." if created else "Demo data present.")
        )
        self._front_door(options["base_url"].rstrip("/"))

    def _front_door(self, base: str) -> None:
        """Where a CX team member starts: the app's sign-in page with the demo accounts; the
        Django admin (users, roles) is for admins and comes second."""
        self.stdout.write(f"Sign in to Journeyboard at {base}{resolve_url(settings.LOGIN_URL)} as:")
        for username, role, *_ in USERS:
            self.stdout.write(f"  {role:<7} {username} / {settings.DEMO_PASSWORD}")
        self.stdout.write(f"Django admin (users and roles, as admin): {base}/admin/")
        self.stdout.write(f"API docs: {base}/api/docs/")

    def _users(self) -> dict:
        User = get_user_model()
        users = {}
        for username, role, first, last in USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@journeyboard.example",
                    "is_staff": role == Role.ADMIN,
                    "is_superuser": role == Role.ADMIN,
                },
            )
            if created:
                user.set_password(settings.DEMO_PASSWORD)
                user.save()
                user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
            users[username] = user
        return users

    def _personas(self, admin) -> list[Persona]:
        group, _ = PersonaGroup.objects.get_or_create(
            name="Business buyers", defaults={"description": "People who buy software for work."}
        )
        return [
            Persona.objects.get_or_create(
                name=fields["name"],
                defaults={**fields, "group": group, "created_by": admin, "updated_by": admin},
            )[0]
            for fields in PERSONAS
        ]

    def _example_map(self, editor, persona: Persona) -> bool:
        if Journey.objects.filter(title=EXAMPLE_TITLE).exists():
            return False
        journey = services.journey_create(
            actor=editor,
            title=EXAMPLE_TITLE,
            template="five_phase",
            persona_id=persona.pk,
            description="How a mid-market company finds, buys and gets help with our product.",
            scenario="Olivia needs a reporting tool her team can use within a month.",
        )
        phases = {p.name: p for p in Phase.objects.filter(journey=journey)}
        lanes = {lane.kind: lane for lane in Lane.objects.filter(journey=journey)}
        for phase_name, (actions, touchpoints, emotion, owner) in EXAMPLE.items():
            phase = phases[phase_name]
            for text in actions:
                self._card(editor, journey, phase, lanes[Lane.Kind.ACTIONS], text)
            for name, channel, department in touchpoints:
                touchpoint_create(
                    actor=editor,
                    journey_id=journey.pk,
                    phase_id=phase.pk,
                    name=name,
                    channel=channel,
                    department=department,
                    is_moment_that_matters=phase_name in ("Conversion", "Services"),
                )
            score, label, emoji = emotion
            services.emotion_create(
                actor=editor,
                journey_id=journey.pk,
                phase_id=phase.pk,
                score=score,
                label=label,
                emoji=emoji,
            )
            self._card(editor, journey, phase, lanes[Lane.Kind.PROCESS_OWNERSHIP], owner)
        self._card(editor, journey, phases["Services"], lanes[Lane.Kind.THOUGHTS], "Hard to use")
        for phase_name, title, impact, effort, status, kpi, target in OPPORTUNITIES:
            services.opportunity_create(
                actor=editor,
                journey_id=journey.pk,
                phase_id=phases[phase_name].pk,
                title=title,
                impact=impact,
                effort=effort,
                status=status,
                owner_id=editor.pk,
                kpi=kpi,
                target=target,
            )
        return True

    def _survey_responses(self, editor) -> None:
        """A post-interaction survey imported onto the example map, as a CX analyst would, so
        that its touchpoints show NPS and its phases what customers feel."""
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.utils import timezone

        from feedback import services as feedback_services
        from feedback.models import SurveySource

        journey = Journey.objects.get(title=EXAMPLE_TITLE)
        source = SurveySource.objects.create(
            name="Post-interaction survey (demo)", journey=journey, created_by=editor
        )
        rows = ["response_id,submitted_at,nps,csat,ces,comment,touchpoint"]
        today = timezone.now().date()
        touchpoints = list(journey.touchpoints.select_related("phase").order_by("pk"))
        for t, touchpoint in enumerate(touchpoints):
            # Customers are harder on buying than the team guessed: Conversion scores low.
            low = touchpoint.phase.name == "Conversion"
            for n in range(24):
                nps = (2 + n % 5) if low and n % 3 else (6 + (n + t) % 5)
                comment = SURVEY_COMMENTS[(n + t) % len(SURVEY_COMMENTS)] if n % 2 else ""
                rows.append(
                    f"demo-{touchpoint.code}-{n},{today - timedelta(days=(n * 7 + t) % 180)},"
                    f"{nps},{1 + nps // 2.5:.0f},{7 - nps // 2},{comment},{touchpoint.code}"
                )
        run = feedback_services.import_file_start(
            actor=editor,
            source=source,
            upload=SimpleUploadedFile("demo-survey.csv", "\n".join(rows).encode()),
        )
        feedback_services.import_run_execute(run.pk)
        feedback_services.responses_sentiment_update(source_id=source.pk)

    def _card(self, editor, journey, phase, lane, text: str) -> None:
        services.card_create(
            actor=editor, journey_id=journey.pk, phase_id=phase.pk, lane_id=lane.pk, text=text
        )
