"""An editor imports a crafted map file: it is refused with a 400 that says why, in bounded
memory and time, and the answer never repeats the file back."""

import codecs
import json
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from journeys.exceptions import MapImportRefused
from journeys.mapfile.imports import document_from_upload
from journeys.models import Journey
from tests import hostile_files

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def import_file(client, name: str, content: bytes):
    upload = SimpleUploadedFile(name, content)
    return client.post("/api/journeys/import/", {"file": upload}, format="multipart")


def test_a_map_csv_of_five_million_lines_is_refused_without_reading_them_all(client_for, editor):
    content = hostile_files.many_lines_grid(5_000_000)
    assert 9 * MB < len(content) < 10 * MB

    response = import_file(client_for(editor), "map.csv", content)
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"
    assert not Journey.objects.exists()

    # What reading it costs beyond the upload itself: its text (10 MB), and no more (the five
    # million rows were 812 MB).
    tracemalloc.start()
    try:
        with pytest.raises(MapImportRefused):
            document_from_upload(data=content, filename="map.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < len(content) + 4 * MB


def test_a_map_xlsx_with_a_million_cell_header_is_refused_before_it_is_read(client_for, editor):
    response = import_file(
        client_for(editor), "map.xlsx", hostile_files.wide_header_workbook(1_000_000)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "too_large"
    assert "unpacks to" in response.json()["detail"]


def test_a_map_xlsx_with_a_dtd_entity_is_refused_clearly(client_for, editor):
    response = import_file(client_for(editor), "map.xlsx", hostile_files.dtd_workbook())
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unsafe_file"
    assert "DTD" in body["detail"] and "boom" not in json.dumps(body)


@pytest.mark.parametrize("as_file", [True, False], ids=["as-a-file", "as-a-json-body"])
def test_a_json_map_nested_5000_deep_is_refused_with_400(client_for, editor, as_file):
    nested = '{"format": "journeyboard.map", "phases": ' + "[" * 5000 + "]" * 5000 + "}"
    client = client_for(editor)
    if as_file:
        response = import_file(client, "map.json", nested.encode())
    else:
        response = client.post("/api/journeys/import/", nested, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] in ("import_invalid", "invalid", "parse_error")


def test_a_map_grid_saved_as_utf16_imports(client_for, editor):
    grid = "Lane \\ Phase,Découvrir,Acheter\nActions,Lire ☺,Payer\n"
    for encoding in ("utf-16", "utf-16-le"):
        response = import_file(client_for(editor), "map.csv", grid.encode(encoding))
        assert response.status_code == 201, response.content
    assert set(Journey.objects.values_list("phases__name", flat=True)) == {"Découvrir", "Acheter"}
    assert codecs.BOM_UTF16_LE  # (the BOM tells the byte order; without one, the NULs do)


def test_a_refusal_never_repeats_a_large_input(client_for, editor, rich_map):
    document = json.loads(
        client_for(editor).get(f"/api/journeys/{rich_map.journey.pk}/export/").content
    )
    # A 3 MB array where the schema allows 100 phases: the refusal used to quote it whole.
    document["phases"] = [{"key": f"P{n}", "name": "x" * 30} for n in range(60_000)]
    body = json.dumps(document)
    assert len(body) > 3 * MB

    response = client_for(editor).post(
        "/api/journeys/import/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert len(response.content) < 20_000
    assert "characters)" in response.content.decode()
