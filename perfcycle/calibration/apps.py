from django.apps import AppConfig


class CalibrationConfig(AppConfig):
    name = "perfcycle.calibration"
    label = "calibration"
