"""The OpenAPI schema describes the API as it answers: every operation's parameters and
responses, errors included, generated without a warning (what the fuzzer reads, #13)."""

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    # --fail-on-warn: any view drf-spectacular cannot describe fails the generation.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def operation(schema: dict, path: str, method: str = "get") -> dict:
    return schema["paths"][path][method]


def response_schema(schema: dict, op: dict, status: str = "200") -> dict:
    content = op["responses"][status]["content"]
    found = next(iter(content.values()))["schema"]
    while "$ref" in found:
        found = schema["components"]["schemas"][found["$ref"].rsplit("/", 1)[-1]]
    return found


def test_the_function_views_have_their_parameters_and_answers_in_the_schema(schema):
    dashboard = operation(schema, "/api/journeys/{journey_id}/dashboard/")
    assert {"window", "since", "until"} <= {p["name"] for p in dashboard["parameters"]}
    assert "health" in response_schema(schema, dashboard)["properties"]
    portfolio = operation(schema, "/api/dashboards/portfolio/")
    assert {"window", "persona", "status", "state", "sort"} <= {
        p["name"] for p in portfolio["parameters"]
    }
    voc = operation(schema, "/api/journeys/{journey_id}/voc/")
    assert {"since", "until"} <= {p["name"] for p in voc["parameters"]}
    assert "journey_metrics" in response_schema(schema, voc)["properties"]
    comments = operation(schema, "/api/touchpoints/{touchpoint_id}/comments/")
    assert set(response_schema(schema, comments)["properties"]) == {"negative", "positive"}
    webhook = operation(schema, "/api/webhooks/typeform/{source_id}/", "post")
    assert "requestBody" in webhook
    assert set(response_schema(schema, webhook)["properties"]) == {"imported", "updated"}


def test_the_templates_events_and_unmatched_answers_are_described_as_they_are(schema):
    templates = response_schema(schema, operation(schema, "/api/journeys/templates/"))
    assert templates["type"] == "array"
    events = response_schema(schema, operation(schema, "/api/journeys/{id}/events/"))
    assert {"revision", "events", "snapshot", "next_after"} == set(events["properties"])
    unmatched = operation(schema, "/api/survey-sources/{id}/unmatched/")
    assert response_schema(schema, unmatched)["type"] == "array"
    assert "parameters" not in unmatched or all(p["in"] == "path" for p in unmatched["parameters"])


def test_who_last_changed_an_item_may_be_nobody(schema):
    for component in ("Card", "Phase", "Lane", "Touchpoint", "Persona"):
        assert schema["components"]["schemas"][component]["properties"]["updated_by"]["nullable"]


def test_every_operation_lists_its_error_answers_in_the_one_shape(schema):
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            assert {"400", "404"} <= set(op["responses"]), f"{method} {path}"
            error = op["responses"]["404"]["content"]["application/json"]["schema"]
            assert error["$ref"].endswith("/Error"), f"{method} {path}"


def test_each_kind_of_move_takes_only_its_own_coordinates(schema):
    def move_fields(kind: str) -> set[str]:
        body = operation(schema, f"/api/{kind}/{{id}}/move/", "post")["requestBody"]
        ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        return set(schema["components"]["schemas"][ref]["properties"])

    assert move_fields("phases") == move_fields("lanes") == {"index", "version"}
    assert move_fields("opportunities") == {"index", "version", "phase"}
    assert (
        move_fields("cards") == move_fields("touchpoints") == {"index", "version", "phase", "lane"}
    )


def test_the_deploy_check_finds_nothing_to_say_about_the_schema(db):
    from django.core.checks import run_checks

    found = [m for m in run_checks(include_deployment_checks=True) if "spectacular" in m.id]
    assert found == []
