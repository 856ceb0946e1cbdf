from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    verbose_name = "Voice of the customer"
    name = "feedback"
