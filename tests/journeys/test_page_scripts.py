"""The pages that load the front end's modules: each module once, and no markup in the head."""

import re

import pytest

from tests.factories import JourneyFactory

pytestmark = pytest.mark.django_db


def test_the_portfolio_loads_its_script_once_and_its_title_is_plain_text(client, viewer):
    JourneyFactory(title="Renewing")
    client.force_login(viewer)
    html = client.get("/dashboards/").content.decode()
    assert html.count("journeyboard/dashboard/portfolio.js") == 1
    assert re.search(r"<title>([^<]*)</title>", html).group(1) == "Dashboards · Journeyboard"
    assert (
        re.search(r'<main id="main" class="([^"]*)"', html).group(1) == "page wide dashboard-page"
    )
