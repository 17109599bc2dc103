from django.urls import path

from perfcycle.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.notification_read, name="read"),
    path("<int:pk>/open/", views.notification_open, name="open"),
    path("read-all/", views.notification_read_all, name="read_all"),
    path("reviews/<int:cycle_pk>/remind/", views.remind_reviewers, name="remind_reviewers"),
]
