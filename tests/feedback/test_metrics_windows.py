"""An executive reads a map's metrics over any window: whole months come from the monthly
rollups, the days of a partial first or last month from the daily ones, and the figures are
the same as counting the responses themselves."""

from datetime import date, timedelta

import pytest

from feedback import services
from feedback.models import MonthlyRollup, ResponseRollup, SurveyResponse
from feedback.selectors import journey_metrics, metrics_from_sums
from tests.feedback.test_imports import HEADER, _import

pytestmark = pytest.mark.django_db

FIRST_DAY = date(2024, 1, 20)
DAYS = 100  # 20 January to 28 April 2024: two partial months around two whole ones


def _survey() -> str:
    rows = []
    for n in range(DAYS * 2):
        day = FIRST_DAY + timedelta(days=n // 2)
        code = "checkout" if n % 3 else "store-visit"
        scores = f"{n % 11},{n % 5 + 1},{n % 7 + 1}"
        rows.append(f"r{n},{day.isoformat()}T12:00:00Z,{scores},,web,{code}")
    return HEADER + "\n".join(rows) + "\n"


def _counted(survey_map, since: date | None, until: date | None) -> dict:
    """What the metrics must say, counted from the responses themselves."""
    responses = SurveyResponse.objects.filter(touchpoint__isnull=False)
    if since:
        responses = responses.filter(submitted_at__date__gte=since)
    if until:
        responses = responses.filter(submitted_at__date__lte=until)
    scores = list(responses.values_list("touchpoint_id", "nps", "csat", "ces"))
    per_touchpoint = {}
    for touchpoint in (survey_map.checkout, survey_map.store):
        mine = [s for s in scores if s[0] == touchpoint.pk]
        if not mine:
            continue
        per_touchpoint[str(touchpoint.pk)] = metrics_from_sums(
            {
                "responses": len(mine),
                "nps_count": len(mine),
                "promoters": sum(1 for s in mine if s[1] >= 9),
                "detractors": sum(1 for s in mine if s[1] <= 6),
                "csat_count": len(mine),
                "csat_satisfied": sum(1 for s in mine if s[2] >= 4),
                "ces_count": len(mine),
                "ces_sum": sum(s[3] for s in mine),
                "ces_sum_squares": sum(s[3] ** 2 for s in mine),
            }
        ).as_dict()
    return per_touchpoint


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (None, None),
        (date(2024, 2, 1), date(2024, 3, 31)),  # whole months only
        (date(2024, 2, 10), None),  # a partial first month
        (None, date(2024, 3, 14)),  # a partial last month
        (date(2024, 1, 25), date(2024, 4, 3)),  # both
        (date(2024, 3, 5), date(2024, 3, 20)),  # inside one month
        (date(2024, 2, 20), date(2024, 3, 10)),  # two partial months, no whole one
        (date(2024, 6, 1), None),  # after every response
    ],
)
def test_metrics_over_any_window_equal_counting_the_responses(survey_map, editor, since, until):
    run = _import(survey_map, editor, _survey())
    assert run.imported == DAYS * 2

    metrics = journey_metrics(journey_id=survey_map.journey.pk, since=since, until=until)

    assert metrics["touchpoints"] == _counted(survey_map, since, until)
    expected_total = sum(t["responses"] for t in metrics["touchpoints"].values())
    assert metrics["journey_metrics"]["responses"] == expected_total
    assert sum(month["responses"] for month in metrics["trend"]) == expected_total
    months = [month["month"] for month in metrics["trend"]]
    assert months == sorted(months)
    assert all(month.endswith("-01") for month in months)


def test_monthly_rollups_are_the_sums_of_the_daily_ones(survey_map, editor):
    _import(survey_map, editor, _survey())
    # January (12 days), February, March, April (28 days), for each of the two touchpoints.
    assert MonthlyRollup.objects.count() == 8
    april = MonthlyRollup.objects.get(touchpoint=survey_map.checkout, month=date(2024, 4, 1))
    april_days = ResponseRollup.objects.filter(
        touchpoint=survey_map.checkout, day__gte=date(2024, 4, 1)
    )
    assert april.responses == sum(april_days.values_list("responses", flat=True))

    # Sentiment scored later reaches both.
    services.responses_sentiment_update(source_id=survey_map.source.pk)
    assert MonthlyRollup.objects.filter(responses__gt=0).count() == 8


def test_a_window_read_costs_at_most_three_queries(
    survey_map, editor, django_assert_max_num_queries
):
    _import(survey_map, editor, _survey())
    with django_assert_max_num_queries(3):
        journey_metrics(
            journey_id=survey_map.journey.pk, since=date(2024, 1, 25), until=date(2024, 4, 3)
        )
