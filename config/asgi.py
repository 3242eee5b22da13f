import os

from django.core.asgi import get_asgi_application

from marketplace.checks import refuse_to_start_on_errors

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
application = get_asgi_application()

# Servers run no system checks of their own: refuse to serve a misconfigured production.
refuse_to_start_on_errors()
