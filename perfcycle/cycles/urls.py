from django.urls import path

from perfcycle.cycles import views

app_name = "cycles"
urlpatterns = [
    path("", views.cycle_list, name="list"),
    path("new/", views.cycle_edit, name="create"),
    path("<int:pk>/", views.cycle_detail, name="detail"),
    path("<int:pk>/edit/", views.cycle_edit, name="edit"),
    path("<int:pk>/participants/", views.cycle_participants, name="participants"),
    path("<int:pk>/phase/", views.cycle_transition, name="transition"),
]
