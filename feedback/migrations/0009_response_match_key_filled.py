"""Fill ``SurveyResponse.match_key`` for the responses stored before it existed, so the
unmatched queue groups them and a value-table rule re-matches them like new ones.

Batched by primary key (a million responses never sit in memory at once), computed with the
one normalisation (``feedback.matching``), so it runs alike on PostgreSQL and SQLite."""

from django.db import migrations

BATCH = 2000


def match_keys_fill(apps, schema_editor):
    from feedback.matching import response_match_key

    SurveyResponse = apps.get_model("feedback", "SurveyResponse")
    rows = SurveyResponse.objects.using(schema_editor.connection.alias).order_by("pk")
    last = 0
    while batch := list(
        rows.filter(pk__gt=last, match_key="").values_list("pk", "touchpoint_code", "channel")[
            :BATCH
        ]
    ):
        last = batch[-1][0]
        changed = [
            SurveyResponse(pk=pk, match_key=key)
            for pk, code, channel in batch
            if (key := response_match_key(code, channel))
        ]
        SurveyResponse.objects.using(schema_editor.connection.alias).bulk_update(
            changed, ["match_key"]
        )


class Migration(migrations.Migration):
    dependencies = [("feedback", "0008_responses_remember_deleted_touchpoint")]

    operations = [migrations.RunPython(match_keys_fill, migrations.RunPython.noop, elidable=True)]
