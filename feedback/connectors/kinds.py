"""What each kind of survey source is set up with: the one table the API, the editor's
connector form and the Django admin form are all drawn from and checked against.

A kind has non-secret ``options`` (a survey or form id, a datacenter, a feed's URL …) and
secret ``credentials`` (tokens), which are write-only everywhere: a form shows whether one is
set, never its value.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

# A Qualtrics datacenter (iad1) or organisation-qualified one (myorg.iad1): a host name part,
# never a path or another domain.
DATACENTER = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)?")
OPTION_MAX_LENGTH = 2000


@dataclass(frozen=True)
class Setting:
    """One option or credential of a kind, as a form shows it."""

    key: str
    label: str
    required: bool = False
    number: bool = False  # a positive number (seconds), else text
    help: str = ""
    placeholder: str = ""


@dataclass(frozen=True)
class KindSettings:
    kind: str
    label: str
    options: tuple[Setting, ...] = ()
    credentials: tuple[Setting, ...] = ()
    # What a field mapping names for this kind (the keys of the records its connector yields).
    mapping_help: str = ""
    mapping_placeholders: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


KIND_SETTINGS: dict[str, KindSettings] = {
    kind.kind: kind
    for kind in (
        KindSettings(
            "qualtrics",
            "Qualtrics",
            options=(
                Setting(
                    "datacenter",
                    "Datacenter",
                    required=True,
                    help="The part before .qualtrics.com in your account's address.",
                    placeholder="iad1",
                ),
                Setting("survey_id", "Survey id", required=True, placeholder="SV_…"),
                Setting(
                    "poll_interval_seconds",
                    "Seconds between export checks",
                    number=True,
                    placeholder="2",
                ),
                Setting(
                    "export_timeout_seconds",
                    "Longest wait for an export (seconds)",
                    number=True,
                    placeholder="900",
                ),
            ),
            credentials=(Setting("api_token", "API token", required=True),),
            mapping_help="Keys of the export: question ids such as QID1 or QID3_TEXT, "
            "labels.QID2 for a choice's label.",
            mapping_placeholders={"nps": "QID1", "comment": "QID3_TEXT"},
        ),
        KindSettings(
            "surveymonkey",
            "SurveyMonkey",
            options=(Setting("survey_id", "Survey id", required=True, placeholder="412345678"),),
            credentials=(Setting("access_token", "Access token", required=True),),
            mapping_help="Question ids, <question id>.<row id> for matrix rows, custom.<name> "
            "for custom variables.",
            mapping_placeholders={"nps": "123456789", "channel": "custom.channel"},
        ),
        KindSettings(
            "typeform",
            "Typeform",
            options=(Setting("form_id", "Form id", required=True, placeholder="abc123XY"),),
            credentials=(
                Setting("access_token", "Personal access token", required=True),
                Setting(
                    "webhook_secret",
                    "Webhook secret",
                    help="Only for responses pushed by Typeform's webhook.",
                ),
            ),
            mapping_help="A question's ref (or id), hidden.<name> for hidden fields, "
            "variables.<key> for variables.",
            mapping_placeholders={"nps": "nps", "comment": "comment", "channel": "hidden.channel"},
        ),
        KindSettings(
            "json",
            "JSON feed",
            options=(
                Setting(
                    "url",
                    "Feed URL",
                    required=True,
                    help="https; an internal address only when the deployment allows it.",
                    placeholder="https://feedback.example.com/responses",
                ),
                Setting("items_key", "Items key", placeholder="items"),
                Setting("next_key", "Next page key", placeholder="next"),
                Setting("id_key", "Response id key", placeholder="id"),
                Setting("submitted_at_key", "Submitted-at key", placeholder="submitted_at"),
            ),
            credentials=(Setting("token", "Bearer token", help="Sent as Authorization: Bearer …"),),
            mapping_help="Dotted paths into each item, such as scores.nps or where.touchpoint.",
            mapping_placeholders={"nps": "scores.nps", "comment": "text"},
        ),
    )
}

# Every credential name any kind has (the admin and the API accept only these).
SECRET_NAMES = tuple(sorted({s.key for kind in KIND_SETTINGS.values() for s in kind.credentials}))


def kinds_described() -> list[dict[str, Any]]:
    """The table as the editor's connector form reads it (``GET /api/survey-sources/kinds/``)."""
    return [kind.as_dict() for kind in KIND_SETTINGS.values()]


def options_check(kind: str, options: Any) -> dict[str, str]:
    """What is wrong with a kind's options, by option (empty when nothing is): unknown keys,
    a required one missing, a number that is not one, a feed URL that is not https or a
    datacenter that is not a host name part."""
    if not isinstance(options, dict):
        return {"options": "Expected an object of settings."}
    if "base_url" in options:
        return {"options": "A vendor's address is fixed: options.base_url is not accepted."}
    described = KIND_SETTINGS.get(kind)
    known = {s.key: s for s in described.options} if described else {}
    errors: dict[str, str] = {}
    unknown = sorted(set(options) - set(known))
    if unknown:
        accepted = ", ".join(known) or "none"
        errors["options"] = (
            f"Unknown option{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"(this kind takes: {accepted})."
        )
    for key, setting in known.items():
        problem = _value_problem(setting, options.get(key))
        if problem:
            errors[key] = problem
    return errors


def _value_problem(setting: Setting, value: Any) -> str | None:
    from feedback.connectors.base import ConnectorError
    from feedback.connectors.http import check_url

    if value is None or value == "":
        return f"{setting.label} is required." if setting.required else None
    if setting.number:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            return f"{setting.label} must be a positive number."
        return None
    if not isinstance(value, str) or not value.strip():
        return f"{setting.label} must be text."
    if len(value) > OPTION_MAX_LENGTH:
        return f"{setting.label} is longer than {OPTION_MAX_LENGTH} characters."
    if setting.key == "url":
        try:
            check_url(value, "The JSON feed")
        except ConnectorError as refused:
            return refused.message
    if setting.key == "datacenter" and not DATACENTER.fullmatch(value.strip()):
        return "A Qualtrics datacenter id such as iad1 (the part before .qualtrics.com)."
    return None


def credentials_check(kind: str, credentials: Any) -> dict[str, str]:
    """What is wrong with credentials given for a kind: names it does not take."""
    if not isinstance(credentials, dict):
        return {"credentials": "Expected an object of secrets."}
    described = KIND_SETTINGS.get(kind)
    known = {s.key for s in described.credentials} if described else set()
    unknown = sorted(set(credentials) - known)
    if unknown:
        return {
            "credentials": f"This kind takes no {', '.join(unknown)} "
            f"(it takes: {', '.join(sorted(known)) or 'none'})."
        }
    return {}
