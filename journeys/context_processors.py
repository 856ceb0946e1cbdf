from journeys.permissions import role_of


def role(request) -> dict:
    """The signed-in user's role, so templates show only the links that user can follow."""
    return {"role": role_of(getattr(request, "user", None))}
