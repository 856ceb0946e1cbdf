"""Starting structures for a new journey map."""

from dataclasses import dataclass

from journeys.models import Lane

K = Lane.Kind


@dataclass(frozen=True)
class MapTemplate:
    label: str
    description: str
    phases: tuple[str, ...]
    lanes: tuple[tuple[str, str], ...]  # (name, kind)


TEMPLATES: dict[str, MapTemplate] = {
    "five_phase": MapTemplate(
        label="Five-phase customer journey",
        description="The classic map: from first hearing of the brand to getting service.",
        phases=("Awareness", "Consideration", "Conversion", "Post-Purchase", "Services"),
        lanes=(
            ("Actions", K.ACTIONS),
            ("Touchpoints", K.TOUCHPOINTS),
            ("Thoughts", K.THOUGHTS),
            ("Feelings", K.EMOTIONS),
            ("Pain points", K.PAIN_POINTS),
            ("Process ownership", K.PROCESS_OWNERSHIP),
            ("Opportunities", K.OPPORTUNITIES),
        ),
    ),
    "blank": MapTemplate(
        label="Blank map",
        description="Three empty phases and the basic lanes, to shape as you go.",
        phases=("Phase 1", "Phase 2", "Phase 3"),
        lanes=(("Actions", K.ACTIONS), ("Touchpoints", K.TOUCHPOINTS), ("Feelings", K.EMOTIONS)),
    ),
    "service_blueprint": MapTemplate(
        label="Service blueprint",
        description="What the customer does, what they see, and what happens behind the scenes.",
        phases=("Discover", "Sign up", "Onboard", "Use", "Get support"),
        lanes=(
            ("Customer actions", K.ACTIONS),
            ("Frontstage", K.TOUCHPOINTS),
            ("Backstage", K.BACKSTAGE),
            ("Support processes", K.PROCESS_OWNERSHIP),
        ),
    ),
}
