"""Half of each page of goals free (PostgreSQL), so that an import that updates every goal
of a cycle keeps each new version on its row's page (``planning.triggers.GOAL_FILLFACTOR``);
the goals' trigger tests the scoring stamp before the twelve inputs."""

from django.db import migrations

from perfcycle.planning.triggers import GOAL_FILLFACTOR, goal_fillfactor, goal_trigger_create


class Migration(migrations.Migration):
    dependencies = [("planning", "0005_goal_updates_in_place")]

    operations = [
        migrations.RunPython(goal_fillfactor(GOAL_FILLFACTOR), goal_fillfactor(70)),
        migrations.RunPython(goal_trigger_create, goal_trigger_create),
    ]
