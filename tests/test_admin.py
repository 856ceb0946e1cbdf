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
    if model._meta.app_label
    in ("personas", "journeys", "touchpoints", "feedback", "auth", "authtoken")
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
        "journeys.ShareLink",
        "touchpoints.Touchpoint",
        "feedback.SurveySource",
        "feedback.ImportRun",
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


def test_an_admin_edit_of_a_card_is_a_logged_change_that_reaches_open_maps(
    admin_browser, django_capture_on_commit_callbacks
):
    from journeys.models import Card, JourneyEvent

    card = Card.objects.get(text="Hard to use")
    journey = card.journey
    url = reverse("admin:journeys_card_change", args=[card.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_browser.post(
            url,
            {
                "journey": journey.pk,
                "phase": card.phase_id,
                "lane": card.lane_id,
                "text": "Very hard",
                "color": "",
                "tag": "",
            },
        )
    assert response.status_code == 302, response.content[:500]
    card.refresh_from_db()
    assert (card.text, card.version) == ("Very hard", 2)
    event = JourneyEvent.objects.filter(journey=journey).latest("revision")
    assert (event.kind, event.payload["card"]["text"]) == ("card_updated", "Very hard")
    assert len(callbacks) == 1


def test_an_admin_edit_of_a_persona_reaches_the_maps_that_use_it(admin_browser):
    from journeys.models import JourneyEvent
    from personas.models import Persona

    persona = Persona.objects.get(name="Olivia Operations")
    url = reverse("admin:personas_persona_change", args=[persona.pk])
    page = admin_browser.get(url)
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update(
        name="Olivia O.",
        goals='["Save time"]',
        needs="[]",
        frustrations="[]",
        motivations="[]",
        expectations="[]",
        behaviours="[]",
        preferred_channels='["email"]',
        group=persona.group_id,
    )
    data.pop("photo")
    response = admin_browser.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert JourneyEvent.objects.filter(kind="persona_updated").count() == 1


def test_an_admin_sets_a_survey_secret_that_is_never_shown_again(admin_browser):
    from feedback.models import SurveySource

    journey = Journey.objects.first()
    added = admin_browser.post(
        reverse("admin:feedback_surveysource_add"),
        {
            "name": "Typeform NPS",
            "kind": "typeform",
            "journey": journey.pk,
            "field_mapping": "{}",
            "matching_rules": "[]",
            "typeform_form_id": "abc",
            "typeform_access_token": "tfp_very_secret",
        },
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    source = SurveySource.objects.get(name="Typeform NPS")
    assert source.credentials == {"access_token": "tfp_very_secret"}
    page = admin_browser.get(reverse("admin:feedback_surveysource_change", args=[source.pk]))
    assert "tfp_very_secret" not in page.content.decode()
    # Saved again with the secret box left empty: the secret stays.
    admin_browser.post(
        reverse("admin:feedback_surveysource_change", args=[source.pk]),
        {
            "name": "Typeform NPS (renamed)",
            "kind": "typeform",
            "journey": journey.pk,
            "field_mapping": "{}",
            "matching_rules": "[]",
            "typeform_form_id": "abc",
        },
    )
    source.refresh_from_db()
    assert source.name == "Typeform NPS (renamed)"
    assert source.credentials == {"access_token": "tfp_very_secret"}


def test_an_admin_repointing_a_feed_is_asked_for_its_token_again(admin_browser):
    from feedback.models import SurveySource
    from tests.factories import SurveySourceFactory

    journey = Journey.objects.first()
    feed = SurveySourceFactory(
        journey=journey,
        kind="json",
        options={"url": "https://feedback.example.com/feed"},
        credentials={"token": "feed-token"},
    )
    form = {
        "name": feed.name,
        "kind": "json",
        "journey": journey.pk,
        "field_mapping": "{}",
        "matching_rules": "[]",
        "json_url": "https://collector.example.net/feed",
    }
    url = reverse("admin:feedback_surveysource_change", args=[feed.pk])
    refused = admin_browser.post(url, form)
    assert refused.status_code == 200  # the form again, with the reason
    assert "The source now points elsewhere: set its credentials again." in refused.content.decode()
    feed.refresh_from_db()
    assert feed.options == {"url": "https://feedback.example.com/feed"}

    assert admin_browser.post(url, {**form, "json_token": "collector-token"}).status_code == 302
    feed = SurveySource.objects.get(pk=feed.pk)
    assert feed.options == {"url": "https://collector.example.net/feed"}
    assert feed.credentials == {"token": "collector-token"}


def test_an_admin_deletes_a_survey_source_with_its_responses_through_the_service(
    admin_browser,
):
    from feedback.models import SurveyResponse, SurveySource

    source = SurveySource.objects.filter(responses__isnull=False).distinct().first()
    assert source is not None and source.responses.exists()  # the demo's survey
    deleted = admin_browser.post(
        reverse("admin:feedback_surveysource_delete", args=[source.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert not SurveySource.objects.filter(pk=source.pk).exists()
    assert not SurveyResponse.objects.filter(source_id=source.pk).exists()


def test_an_admin_audits_share_links_and_revokes_one_through_the_service(admin_browser):
    from django.contrib.auth import get_user_model

    from journeys import services
    from journeys.models import JourneyEvent

    journey = Journey.objects.get()
    editor = get_user_model().objects.get(username="editor")
    link = services.share_link_create(actor=editor, journey_id=journey.pk, label="Agency")
    listing = admin_browser.get(reverse("admin:journeys_sharelink_changelist"))
    assert "Agency" in listing.content.decode()
    detail = admin_browser.get(reverse("admin:journeys_sharelink_change", args=[link.pk]))
    assert link.token not in detail.content.decode()  # the address stays with the map's editors
    response = admin_browser.post(
        reverse("admin:journeys_sharelink_changelist"),
        {"action": "revoke", "_selected_action": [link.pk]},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert JourneyEvent.objects.filter(kind="share_link_revoked").count() == 1


def _journey_form(page) -> dict:
    """What the admin's journey page would send back untouched: the map's fields and every
    phase and lane row (with the inline formsets' management forms)."""

    def value(bound):
        initial = bound.value()
        if isinstance(initial, list | tuple):
            return [str(v) for v in initial]
        return "" if initial is None else initial

    form = page.context["adminform"].form
    data = {name: value(form[name]) for name in form.fields}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = value(management[name])
        for row in formset.forms:
            for name in row.fields:
                if name != "DELETE":
                    data[row.add_prefix(name)] = value(row[name])
    return {k: v for k, v in data.items() if v is not False}


def test_an_admin_renames_a_map_and_its_phase_and_adds_a_lane_as_logged_changes(
    admin_browser, django_capture_on_commit_callbacks
):
    from journeys.models import JourneyEvent

    journey = Journey.objects.get()
    phase = journey.phases.get(name="Awareness")
    url = reverse("admin:journeys_journey_change", args=[journey.pk])
    data = _journey_form(admin_browser.get(url))
    data["title"] = "Onboarding, as admins see it"
    row = next(k for k, v in data.items() if k.startswith("phases-") and v == "Awareness")
    data[row] = "Discovery"
    added = int(data["lanes-TOTAL_FORMS"])
    data.update(
        {
            "lanes-TOTAL_FORMS": added + 1,
            f"lanes-{added}-name": "Backstage systems",
            f"lanes-{added}-kind": "backstage",
            f"lanes-{added}-journey": journey.pk,
        }
    )
    before = journey.revision
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_browser.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    journey.refresh_from_db()
    phase.refresh_from_db()
    assert journey.title == "Onboarding, as admins see it"
    assert (phase.name, phase.version) == ("Discovery", 2)
    assert journey.lanes.filter(name="Backstage systems", kind="backstage").exists()
    events = JourneyEvent.objects.filter(journey=journey, revision__gt=before).order_by("revision")
    assert [e.kind for e in events] == ["phase_updated", "lane_created", "journey_updated"]
    assert journey.revision == before + 3
    # Each change reaches the open maps after the commit.
    assert len(callbacks) >= 3


def test_an_admin_save_refused_by_a_service_saves_nothing_and_says_why(admin_browser):
    from django.contrib.auth import get_user_model

    from journeys.models import JourneyEvent

    journey = Journey.objects.get()
    gone = get_user_model().objects.create_user("left-the-company", is_active=False)
    url = reverse("admin:journeys_journey_change", args=[journey.pk])
    data = _journey_form(admin_browser.get(url))
    row = next(k for k, v in data.items() if k.startswith("phases-") and v == "Awareness")
    data[row] = "Renamed, then refused"
    data["owner"] = gone.pk  # journey_update refuses an inactive owner, after the phase rename
    events_before = JourneyEvent.objects.filter(journey=journey).count()

    response = admin_browser.post(url, data, follow=True)

    shown = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Not saved:") and "active user" in m for m in shown), shown
    assert journey.phases.filter(name="Awareness").exists()
    assert not journey.phases.filter(name="Renamed, then refused").exists()
    assert JourneyEvent.objects.filter(journey=journey).count() == events_before


def test_an_admin_deletes_an_empty_lane_but_not_one_that_holds_cards(admin_browser):
    from journeys.models import JourneyEvent

    journey = Journey.objects.get()
    full = next(lane for lane in journey.lanes.all() if lane.cards.exists())
    empty = journey.lanes.create(name="Spare", kind="notes", position=10**6)
    url = reverse("admin:journeys_journey_change", args=[journey.pk])

    def delete_row(lane):
        data = _journey_form(admin_browser.get(url))
        row = next(
            k
            for k, v in data.items()
            if k.startswith("lanes-") and k.endswith("-id") and str(v) == str(lane.pk)
        )
        data[row.removesuffix("-id") + "-DELETE"] = "on"
        return admin_browser.post(url, data)

    refused = delete_row(full)
    assert refused.status_code == 200 and "protected" in str(refused.context["errors"])
    assert journey.lanes.filter(pk=full.pk).exists()

    assert delete_row(empty).status_code == 302
    assert not journey.lanes.filter(pk=empty.pk).exists()
    assert JourneyEvent.objects.filter(journey=journey, kind="lane_deleted").count() == 1


def test_an_admin_creates_a_map_with_a_phase_of_its_own(admin_browser):
    from journeys.models import JourneyEvent

    url = reverse("admin:journeys_journey_add")
    data = _journey_form(admin_browser.get(url))
    data.update(
        {
            "title": "Claims, made in the admin",
            "state": "current",
            "status": "draft",
            "phases-TOTAL_FORMS": 1,
            "phases-0-name": "Report the claim",
        }
    )
    data.pop("collaborators")
    response = admin_browser.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    journey = Journey.objects.get(title="Claims, made in the admin")
    # The blank template's phases, then the one the admin added.
    assert list(journey.phases.values_list("name", flat=True))[-1] == "Report the claim"
    assert JourneyEvent.objects.filter(journey=journey, kind="phase_created").count() == 1
