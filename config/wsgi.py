import os

from django.core.wsgi import get_wsgi_application

from marketplace.checks import refuse_to_start_on_errors

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_wsgi_application()

# Servers run no system checks of their own: refuse to serve a misconfigured production.
refuse_to_start_on_errors()
