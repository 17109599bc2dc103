"""Coaching pages under /monitor/ (check-ins, observations, feedback, training); added to
``monitoring.urls``, whose namespace they share."""

from django.urls import path

from perfcycle.monitoring.views import checkins, feedback, observations, training

urlpatterns = [
    path("checkins/", checkins.checkin_list, name="checkins"),
    path("checkins/new/", checkins.checkin_schedule, name="checkin_schedule"),
    path("checkins/request/", checkins.checkin_request, name="checkin_request"),
    path("checkins/<int:pk>/", checkins.checkin_detail, name="checkin"),
    path("checkins/<int:pk>/agenda/", checkins.agenda_add, name="checkin_agenda"),
    path("checkins/<int:pk>/notes/", checkins.notes_save, name="checkin_notes"),
    path("checkins/<int:pk>/goals/<int:goal_pk>/", checkins.goal_note_save, name="checkin_goal"),
    path("checkins/<int:pk>/action-items/", checkins.action_item_add, name="checkin_item"),
    path("checkins/<int:pk>/confirm/", checkins.checkin_confirm, name="checkin_confirm"),
    path("checkins/<int:pk>/held/", checkins.checkin_held, name="checkin_held"),
    path("checkins/<int:pk>/cancel/", checkins.checkin_cancel, name="checkin_cancel"),
    path("checkins/action-items/<int:pk>/done/", checkins.action_item_done, name="item_done"),
    path("observations/", observations.observation_list, name="observations"),
    path("observations/new/", observations.observation_create, name="observation_create"),
    path("observations/<int:pk>/", observations.observation_detail, name="observation"),
    path("observations/<int:pk>/share/", observations.observation_share, name="observation_share"),
    path("observations/competencies/", observations.competency_list, name="competencies"),
    path(
        "observations/competencies/<int:pk>/",
        observations.competency_edit,
        name="competency_edit",
    ),
    path("feedback/", feedback.wall, name="feedback"),
    path("feedback/people/<int:pk>/", feedback.person_feedback, name="feedback_person"),
    path("training/", training.training_list, name="training"),
    path("training/recommend/", training.training_recommend, name="training_recommend"),
    path("training/<int:pk>/status/", training.training_status, name="training_status"),
    path("training/courses/", training.course_list, name="courses"),
    path("training/courses/new/", training.course_edit, name="course_create"),
    path("training/courses/<int:pk>/edit/", training.course_edit, name="course_edit"),
]
