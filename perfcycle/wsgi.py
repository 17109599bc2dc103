import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfcycle.settings.production")
application = get_wsgi_application()

from perfcycle.core.warm import warm_process  # noqa: E402 - Django is set up above

warm_process()
