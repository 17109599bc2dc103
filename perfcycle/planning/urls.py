from django.urls import path

from perfcycle.planning.views import goals, imports, indicators, sheets

app_name = "planning"
urlpatterns = [
    path("", sheets.my_goals, name="home"),
    path("people/<int:pk>/", sheets.person_goals, name="person"),
    path("sheets/<int:pk>/<slug:step>/", sheets.sheet_step, name="sheet_step"),
    path("team/", sheets.team_goals, name="team"),
    path("alignment/", goals.alignment, name="alignment"),
    path("goals/new/", goals.goal_create, name="goal_create"),
    path("goals/<int:pk>/", goals.goal_detail, name="goal"),
    path("goals/<int:pk>/edit/", goals.goal_edit, name="goal_edit"),
    path("goals/<int:pk>/delete/", goals.goal_delete, name="goal_delete"),
    path("goals/<int:pk>/done/", goals.goal_done, name="goal_done"),
    path("goals/<int:pk>/milestones/", goals.milestone_add, name="milestone_add"),
    path("goals/<int:pk>/key-results/", goals.key_result_add, name="key_result_add"),
    path("goals/<int:pk>/comments/", goals.comment_add, name="comment_add"),
    path("milestones/<int:pk>/done/", goals.milestone_done, name="milestone_done"),
    path("indicators/", indicators.indicator_list, name="indicators"),
    path("indicators/new/", indicators.indicator_edit, name="indicator_create"),
    path("indicators/<int:pk>/edit/", indicators.indicator_edit, name="indicator_edit"),
    path("indicators/<int:pk>/assign/", indicators.indicator_assign, name="indicator_assign"),
    path("import/", imports.import_upload, name="import"),
    path("import/<int:pk>/", imports.import_preview, name="import_preview"),
]
