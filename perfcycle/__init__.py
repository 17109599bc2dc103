"""Perfcycle: performance management as one closed loop."""

__version__ = "0.1.0"
