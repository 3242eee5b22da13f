"""System checks that must pass before a server answers any request.

Apps register such checks with the STARTUP tag (`checks.register(check, STARTUP)`). Django runs
them with every other check in `manage.py check`, `migrate` and `runserver`; gunicorn and uvicorn
run no checks at all, so the WSGI and ASGI entry points call `refuse_to_start_on_errors()`.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

STARTUP = "startup"


def refuse_to_start_on_errors() -> None:
    """Raise ImproperlyConfigured, naming every error, when a STARTUP check fails. Call once the
    app registry is ready."""
    errors = [message for message in checks.run_checks(tags=[STARTUP]) if message.is_serious()]
    if errors:
        raise ImproperlyConfigured("\n".join(str(error) for error in errors))


@checks.register(checks.Tags.security, deploy=True)
def check_shared_rate_limit_cache(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """allauth counts failed sign-ins, the API counts requests per key and the page cache keeps its
    generation in the default cache: a cache of each process's own would give every app process a
    fresh allowance and let a process serve pages a publish made stale."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith(("LocMemCache", "DummyCache")):
        return [
            checks.Warning(
                f"The default cache is {backend.rsplit('.', 1)[-1]}: rate limits and the page cache are per process.",
                hint="Set REDIS_URL so that every app process shares one count.",
                id="marketplace.W001",
            )
        ]
    return []
