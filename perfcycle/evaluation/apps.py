from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "perfcycle.evaluation"
    label = "evaluation"
