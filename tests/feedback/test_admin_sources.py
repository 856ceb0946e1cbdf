"""An admin sets up a platform source in the Django admin: the kind's options are fields, its
secrets password boxes that show only whether they are set; a secret left empty is kept, one
typed is replaced; the API's checks apply; and no secret is ever in the page."""

import pytest
from django.urls import reverse

from feedback.models import SurveySource
from tests.factories import SurveySourceFactory

pytestmark = pytest.mark.django_db

ACCESS = "tfp_access_very_secret"
WEBHOOK = "whsec_very_secret"


@pytest.fixture
def admin_page(client):
    from journeys.permissions import Role
    from tests.factories import UserFactory

    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def typeform(five_phase_map):
    return SurveySourceFactory(
        journey=five_phase_map.journey,
        name="Typeform NPS",
        kind="typeform",
        options={"form_id": "tfJourney"},
        credentials={"access_token": ACCESS, "webhook_secret": WEBHOOK},
    )


def change_form(source, **fields):
    return {
        "name": source.name,
        "kind": source.kind,
        "journey": source.journey_id,
        "field_mapping": "{}",
        "matching_rules": "[]",
        "typeform_form_id": "tfJourney",
        **fields,
    }


def test_the_change_page_shows_the_options_and_which_secrets_are_set_never_their_values(
    admin_page, typeform
):
    page = admin_page.get(reverse("admin:feedback_surveysource_change", args=[typeform.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert ACCESS not in html and WEBHOOK not in html
    assert 'name="typeform_form_id"' in html and 'value="tfJourney"' in html
    assert 'type="password" name="typeform_access_token"' in html
    assert html.count("Set — leave empty to keep it") == 2
    # Every kind's own settings, in its own fieldset.
    for label in ("Qualtrics settings", "SurveyMonkey settings", "JSON feed settings"):
        assert label in html
    assert 'name="qualtrics_datacenter"' in html and 'name="json_url"' in html


def test_a_secret_typed_is_replaced_and_one_left_empty_is_kept(admin_page, typeform):
    url = reverse("admin:feedback_surveysource_change", args=[typeform.pk])
    saved = admin_page.post(
        url, change_form(typeform, typeform_access_token="tfp_new_token", sync_every_minutes=60)
    )
    assert saved.status_code == 302, saved.content.decode()[:3000]
    typeform.refresh_from_db()
    assert typeform.credentials == {"access_token": "tfp_new_token", "webhook_secret": WEBHOOK}
    assert typeform.sync_every_minutes == 60
    assert typeform.version == 2  # through the service
    html = admin_page.get(url).content.decode()
    assert "tfp_new_token" not in html and WEBHOOK not in html


def test_the_admin_refuses_what_the_api_refuses(admin_page, typeform):
    url = reverse("admin:feedback_surveysource_change", args=[typeform.pk])
    refused = admin_page.post(url, change_form(typeform, typeform_form_id="", sync_every_minutes=1))
    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Options: Form id is required." in html
    assert "Sync every minutes: Sync every 5 to 10080 minutes, or never (null)." in html
    typeform.refresh_from_db()
    assert (typeform.options, typeform.sync_every_minutes) == ({"form_id": "tfJourney"}, None)


def test_an_admin_adds_a_qualtrics_source_with_its_datacenter_and_token(admin_page, five_phase_map):
    added = admin_page.post(
        reverse("admin:feedback_surveysource_add"),
        {
            "name": "Qualtrics CSAT",
            "kind": "qualtrics",
            "journey": five_phase_map.journey.pk,
            "field_mapping": '{"csat": "QID2"}',
            "matching_rules": "[]",
            "qualtrics_datacenter": "fra1",
            "qualtrics_survey_id": "SV_abc",
            "qualtrics_poll_interval_seconds": "5",
            "qualtrics_api_token": "qualtrics-token",
            # Another kind's boxes are ignored.
            "typeform_form_id": "ignored",
            "typeform_access_token": "ignored-token",
        },
    )
    assert added.status_code == 302, added.content.decode()[:3000]
    source = SurveySource.objects.get(name="Qualtrics CSAT")
    assert source.options == {
        "datacenter": "fra1",
        "survey_id": "SV_abc",
        "poll_interval_seconds": 5,
    }
    assert source.credentials == {"api_token": "qualtrics-token"}
    assert source.created_by is not None
