from django.db import models


class DemoStep(models.Model):
    """A demo step that has been loaded; each step loads once per database."""

    name = models.CharField(max_length=100, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
