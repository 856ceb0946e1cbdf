"""Domain errors, mapped once (in ``config.api``) to an HTTP status and a stable ``code``."""

from typing import Any


class JourneyboardError(Exception):
    """A refusal the user should understand: a message and a machine-readable code."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class InvalidInput(JourneyboardError):
    """Input that passed the serializer but breaks a rule that needs the database to check."""

    def __init__(self, errors: dict[str, str], message: str = "Some fields are invalid.") -> None:
        super().__init__(message, errors={field: [text] for field, text in errors.items()})


class AccessDenied(JourneyboardError):
    status_code = 403
    code = "permission_denied"


class NotFound(JourneyboardError):
    status_code = 404
    code = "not_found"


class VersionConflict(JourneyboardError):
    """Someone else changed the object since the version this edit was based on."""

    status_code = 409
    code = "version_conflict"

    def __init__(self, current: Any) -> None:
        name = current._meta.verbose_name
        who = getattr(current, "updated_by", None)
        by = (who.get_full_name() or who.username) if who else "someone else"
        super().__init__(
            f"This {name} was changed by {by} (now at version {current.version}). "
            "Your change was not saved; apply it again to the current version if still needed."
        )
        self.current = current
        self.details = {"changed_by": {"id": who.pk, "name": by} if who else None}


class NotEmpty(JourneyboardError):
    """Deleting a phase or lane that still holds content, without asking to delete it too."""

    status_code = 409
    code = "not_empty"


class MapImportRefused(JourneyboardError):
    """A map file that cannot be imported; ``errors`` names the path of each bad field.

    (A survey file that cannot be imported is ``feedback.exceptions.ImportRefused``.)"""

    code = "import_invalid"


class DeleteNeedsConfirming(JourneyboardError):
    """A delete that would take survey evidence (responses, their matches, opportunity links)
    along, asked without confirming: ``counts`` names what would go, so the user can decide."""

    status_code = 409
    code = "confirm_required"
