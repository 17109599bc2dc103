from django.urls import path

from perfcycle.org import views

app_name = "org"
urlpatterns = [
    path("", views.org_chart, name="chart"),
    path("departments/new/", views.department_edit, name="department_create"),
    path("departments/<int:pk>/", views.department_detail, name="department"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("people/", views.employee_list, name="employees"),
    path("people/new/", views.employee_edit, name="employee_create"),
    path("people/<int:pk>/", views.employee_detail, name="employee"),
    path("people/<int:pk>/edit/", views.employee_edit, name="employee_edit"),
    path("people/<int:pk>/login/", views.employee_login, name="employee_login"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_preview, name="import_preview"),
]
