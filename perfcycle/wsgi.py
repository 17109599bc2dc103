import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings.production")
application = get_wsgi_application()


def _warm() -> None:
    """Build the URL patterns (the API's schemas among them) and load both languages'
    translations as the worker starts, not on its first request (~2.5 s of it)."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - built on first access
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Home")


_warm()
