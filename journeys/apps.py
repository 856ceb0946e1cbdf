from django.apps import AppConfig
from django.db.models.signals import post_migrate


class JourneysConfig(AppConfig):
    name = "journeys"

    def ready(self) -> None:
        from journeys.realtime.access import connect_access_signals
        from journeys.roles import ensure_role_groups

        connect_access_signals()

        # After every migrate, so the groups exist and carry the permissions Django admin checks.
        post_migrate.connect(ensure_role_groups, sender=self)
