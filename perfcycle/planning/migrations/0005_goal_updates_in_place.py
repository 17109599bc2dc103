"""Goals are updated in place: free room on each page (PostgreSQL) and a trigger that
leaves alone a row whose writer bumped the scoring stamp itself (``planning.triggers``)."""

from django.db import migrations

from perfcycle.planning.triggers import goal_fillfactor, goal_trigger_create


class Migration(migrations.Migration):
    dependencies = [("planning", "0004_fk_indexes_covered")]

    operations = [
        migrations.RunPython(goal_trigger_create, goal_trigger_create),
        migrations.RunPython(goal_fillfactor(70), goal_fillfactor(None)),
    ]
