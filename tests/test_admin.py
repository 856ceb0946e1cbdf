"""Admins manage users, roles, personas and maps in Django admin."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from journeys.models import Journey

pytestmark = pytest.mark.django_db

APP_MODELS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in ("personas", "journeys", "touchpoints", "auth", "authtoken")
]


@pytest.fixture
def admin_browser(client, settings):
    call_command("seed_demo")
    assert client.login(username="admin", password=settings.DEMO_PASSWORD)
    return client


def test_every_journeyboard_model_is_registered():
    labels = {f"{m._meta.app_label}.{m.__name__}" for m in admin.site._registry}
    assert {
        "personas.Persona",
        "personas.PersonaGroup",
        "journeys.Journey",
        "journeys.Phase",
        "journeys.Lane",
        "journeys.Card",
        "journeys.Emotion",
        "journeys.Opportunity",
        "journeys.JourneyEvent",
        "touchpoints.Touchpoint",
        "auth.User",
        "auth.Group",
    } <= labels


@pytest.mark.parametrize("model", APP_MODELS, ids=lambda m: m.__name__)
def test_an_admin_opens_every_list_with_the_demo_data(admin_browser, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_browser.get(url).status_code == 200


def test_an_admin_opens_the_demo_map(admin_browser):
    journey = Journey.objects.get()
    page = admin_browser.get(reverse("admin:journeys_journey_change", args=[journey.pk]))
    assert page.status_code == 200
    assert "Awareness" in page.content.decode()


def test_editors_and_viewers_do_not_get_into_admin(client, settings):
    call_command("seed_demo")
    for username in ("editor", "viewer"):
        assert client.login(username=username, password=settings.DEMO_PASSWORD)
        assert client.get("/admin/").status_code == 302
