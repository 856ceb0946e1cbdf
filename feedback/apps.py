from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    verbose_name = "Voice of the customer"
    name = "feedback"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from feedback.models import ImportRun
        from feedback.uploads import import_run_deleted

        post_delete.connect(import_run_deleted, sender=ImportRun, dispatch_uid="import-run-file")
