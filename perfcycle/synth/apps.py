from django.apps import AppConfig


class SynthConfig(AppConfig):
    name = "perfcycle.synth"
    label = "synth"
