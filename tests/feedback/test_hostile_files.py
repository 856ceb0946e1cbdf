"""A CX analyst (or someone hostile) uploads a crafted survey file: it is refused, clearly and
cheaply, before it is read whole — or, where one row is bad, that row alone is refused.

Memory is measured with tracemalloc around the upload check and the import: before the bounds,
a 112 KB workbook with a million-cell header cost 876 MB, and one 50 MB line 2.5 GB."""

import codecs
import tracemalloc
from contextlib import contextmanager

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from feedback import services
from feedback.exceptions import ImportRefused
from feedback.models import ImportRun, SurveyResponse
from tests import hostile_files

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@contextmanager
def peak_memory():
    """The peak of Python allocations inside the block, in bytes (``.peak`` after it)."""

    class Peak:
        peak = 0

    tracemalloc.start()
    try:
        yield Peak
    finally:
        Peak.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def _start(survey_map, editor, data: bytes, name: str) -> ImportRun:
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return services.import_file_start(actor=editor, source=survey_map.source, upload=upload)


def _refused_at_upload(survey_map, editor, data: bytes, name: str) -> ImportRefused:
    with pytest.raises(ImportRefused) as refused:
        _start(survey_map, editor, data, name)
    assert not ImportRun.objects.exists()
    return refused.value


def test_an_xlsx_with_a_million_cell_header_is_refused_before_it_is_read(survey_map, editor):
    data = hostile_files.wide_header_workbook(1_000_000)
    assert len(data) < 200 * 1024  # small on the wire…

    with peak_memory() as memory:
        refused = _refused_at_upload(survey_map, editor, data, "survey.xlsx")

    # …and refused from the zip's directory, before one cell is parsed.
    assert refused.code == "too_large"
    assert "unpacks to" in refused.message
    assert memory.peak < 8 * MB


def test_an_xlsx_with_a_million_varied_cells_in_its_header_is_refused_at_its_1001st(
    survey_map, editor
):
    # Packed like a real sheet: the zip's directory shows nothing wrong, the header's width does.
    data = hostile_files.wide_header_workbook(1_000_000, varied=True)

    with peak_memory() as memory:
        refused = _refused_at_upload(survey_map, editor, data, "survey.xlsx")

    assert refused.message == "The file has 1,001 columns; the limit is 1,000."
    assert memory.peak < 8 * MB


def test_an_xlsx_header_wider_than_the_column_limit_says_too_many_columns(
    survey_map, editor, settings
):
    settings.JOURNEYBOARD_IMPORT_MAX_COLUMNS = 100
    data = hostile_files.wide_header_workbook(5_000)

    refused = _refused_at_upload(survey_map, editor, data, "survey.xlsx")

    assert refused.code == "too_many_columns"
    assert "the limit is 100" in refused.message


def test_an_xlsx_row_with_too_many_cells_fails_the_run_before_anything_is_written(
    survey_map, editor, settings
):
    settings.JOURNEYBOARD_IMPORT_MAX_COLUMNS = 50
    good = [["r1", "2024-05-01", "9", "ok"]]
    wide = "<row>" + "<c><v>1</v></c>" * 5_000 + "</row>"
    rows = hostile_files.survey_rows_xml([hostile_files.SURVEY_HEADER.split(","), *good])
    run = _start(survey_map, editor, hostile_files.workbook(rows + wide), "survey.xlsx")

    run = services.import_run_execute(run.pk)

    assert run.state == ImportRun.State.FAILED
    assert "Row 3 of the sheet has more than 50 cells" in run.error
    assert not SurveyResponse.objects.exists()


def test_a_row_with_too_many_cells_is_found_whatever_prefix_names_its_tags(
    survey_map, editor, settings
):
    settings.JOURNEYBOARD_IMPORT_MAX_COLUMNS = 50
    header = "".join(
        f'<x:c t="inlineStr"><x:is><x:t>{name}</x:t></x:is></x:c>'
        for name in hostile_files.SURVEY_HEADER.split(",")
    )
    wide = "<x:row>" + "<x:c><x:v>1</x:v></x:c>" * 500 + "</x:row>"
    data = hostile_files.workbook(f"<x:row>{header}</x:row>{wide}", prefix="x")
    run = _start(survey_map, editor, data, "survey.xlsx")  # its header reads as any other

    run = services.import_run_execute(run.pk)

    assert run.state == ImportRun.State.FAILED
    assert "Row 2 of the sheet has more than 50 cells" in run.error


def test_an_xlsx_with_more_shared_strings_than_the_limit_is_refused_before_they_load(
    survey_map, editor, settings
):
    settings.JOURNEYBOARD_XLSX_MAX_SHARED_STRINGS = 100
    rows = hostile_files.survey_rows_xml(
        [hostile_files.SURVEY_HEADER.split(","), ["r1", "2024-05-01", "9", "ok"]]
    )
    data = hostile_files.workbook(rows, shared=[f"text {n}" for n in range(101)])
    run = _start(survey_map, editor, data, "survey.xlsx")

    run = services.import_run_execute(run.pk)

    assert run.state == ImportRun.State.FAILED
    assert run.error == "The workbook has more than 100 distinct texts."
    assert not SurveyResponse.objects.exists()


def test_an_xlsx_that_unpacks_far_beyond_its_size_is_refused(survey_map, editor):
    data = hostile_files.padded_workbook(50 * MB)
    assert len(data) < MB

    refused = _refused_at_upload(survey_map, editor, data, "survey.xlsx")

    assert refused.code == "too_large"
    assert "xl/media/padding.bin" in refused.message


def test_an_xlsx_with_a_dtd_entity_is_refused_unread_and_its_upload_not_kept(
    survey_map, editor, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path

    refused = _refused_at_upload(survey_map, editor, hostile_files.dtd_workbook(), "survey.xlsx")

    assert refused.code == "unsafe_file"
    assert "DTD" in refused.message
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_a_csv_with_one_huge_line_is_refused(survey_map, editor):
    run = _start(survey_map, editor, hostile_files.one_huge_line_csv(8 * MB), "survey.csv")

    with peak_memory() as memory:
        run = services.import_run_execute(run.pk)

    assert run.state == ImportRun.State.FAILED
    assert run.error.startswith("Line 2 is longer than 1 MB")
    assert not SurveyResponse.objects.exists()
    assert memory.peak < 8 * MB  # the line is measured as it streams, never held


def test_a_csv_header_longer_than_a_row_may_be_is_refused_from_a_bounded_prefix(survey_map, editor):
    data = b"response_id,submitted_at,nps,comment" + b",x" * (4 * MB) + b"\nr1,2024-05-01,9,ok\n"

    with peak_memory() as memory:
        refused = _refused_at_upload(survey_map, editor, data, "survey.csv")

    assert refused.code == "row_too_long"
    # The header alone was 40 MB and more as cells; now the upload's copy and a row's prefix.
    assert memory.peak < 12 * MB


def test_a_quoted_cell_running_over_many_lines_past_the_row_limit_fails_the_run(
    survey_map, editor, settings
):
    if connection.vendor == "postgresql":
        pytest.skip("on PostgreSQL a CSV goes through COPY, whose parser bounds its own rows")
    settings.JOURNEYBOARD_IMPORT_MAX_ROW_BYTES = 10_000
    long_cell = "\n".join(["a line of a very long comment"] * 1_000)
    data = f'{hostile_files.SURVEY_HEADER}\nr1,2024-05-01,9,"{long_cell}"\n'.encode()
    run = _start(survey_map, editor, data, "survey.csv")

    run = services.import_run_execute(run.pk)

    assert run.state == ImportRun.State.FAILED
    assert "longer than 10 KB" in run.error


def test_a_nul_byte_in_one_row_refuses_that_row_and_imports_the_rest(survey_map, editor):
    data = (
        f"{hostile_files.SURVEY_HEADER}\n"
        "r1,2024-05-01,9,Fine\n"
        "r2,2024-05-02,3,Bro\0ken\n"
        "r3,2024-05-03,7,Also fine\n"
    ).encode()
    run = _start(survey_map, editor, data, "survey.csv")

    run = services.import_run_execute(run.pk)

    assert run.state == ImportRun.State.SUCCEEDED
    assert (run.read, run.imported, run.failed) == (3, 2, 1)
    assert sorted(SurveyResponse.objects.values_list("external_id", flat=True)) == ["r1", "r3"]
    (error,) = run.row_errors.all()
    assert (error.row, error.field) == (2, "comment")
    assert "NUL" in error.reason


def test_a_file_with_more_than_1600_columns_is_refused_as_too_many_columns(survey_map, editor):
    header = hostile_files.SURVEY_HEADER + "".join(f",extra{n}" for n in range(1_700))
    data = f"{header}\nr1,2024-05-01,9,ok\n".encode()

    refused = _refused_at_upload(survey_map, editor, data, "survey.csv")

    assert refused.code == "too_many_columns"
    assert refused.message == "The file has 1,704 columns; the limit is 1,000."


@pytest.mark.parametrize(
    "encoding",
    [
        pytest.param("utf-16", id="with-a-bom"),
        pytest.param("utf-16-le", id="little-endian-without-a-bom"),
        pytest.param("utf-16-be", id="big-endian-without-a-bom"),
    ],
)
def test_a_utf16_file_imports_like_a_utf8_one(survey_map, editor, encoding):
    text = f"{hostile_files.SURVEY_HEADER}\nr1,2024-05-01,9,Très bien ☺\nr2,2024-05-02,3,Bof\n"
    data = text.encode(encoding)
    if encoding == "utf-16":
        assert data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))

    run = services.import_run_execute(_start(survey_map, editor, data, "survey.csv").pk)

    assert run.state == ImportRun.State.SUCCEEDED, run.error
    assert run.imported == 2
    assert SurveyResponse.objects.get(external_id="r1").comment == "Très bien ☺"


def test_a_broken_utf16_file_says_so(survey_map, editor):
    data = codecs.BOM_UTF16_LE + f"{hostile_files.SURVEY_HEADER}\nr1,".encode("utf-16-le") + b"\0"
    run = services.import_run_execute(_start(survey_map, editor, data, "survey.csv").pk)

    assert run.state == ImportRun.State.FAILED
    assert run.error.startswith("The file looks like UTF-16 but does not decode")


def test_a_tidy_workbook_still_imports_after_its_inspection(survey_map, editor):
    rows = [[f"r{n}", "2024-05-01", str(n % 11), f"Comment {n}"] for n in range(50)]
    run = _start(survey_map, editor, hostile_files.survey_workbook(rows), "survey.xlsx")

    run = services.import_run_execute(run.pk)

    assert run.state == ImportRun.State.SUCCEEDED, run.error
    assert run.imported == 50
