from django.urls import path

from perfcycle.privacy import views

app_name = "privacy"
urlpatterns = [
    path("mine/", views.my_data, name="mine"),
    path("mine/download/", views.my_data_download, name="mine_download"),
    path("people/<int:pk>/export/", views.employee_export, name="export"),
    path("people/<int:pk>/erase/", views.employee_erase, name="erase"),
]
