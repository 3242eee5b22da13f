"""The ceiling for bench/catalogue.py: Django answering "ok" with no apps, middleware, database or
templates, served by gunicorn exactly like the site (DJANGO_SETTINGS_MODULE=bench.bare)."""

from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path

SECRET_KEY = "bench-bare-view-only"  # serves one constant response; never deployed
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = __name__
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict = {}
USE_TZ = True


def ok(request):
    return HttpResponse("ok")


urlpatterns = [path("", ok)]


def application(environ, start_response):
    """WSGI entry point (gunicorn bench.bare:application), built on the first request so that
    importing this module as the settings module does not build it."""
    global _handler
    if _handler is None:
        _handler = get_wsgi_application()
    return _handler(environ, start_response)


_handler = None
