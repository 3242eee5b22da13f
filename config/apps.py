from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project package: settings, the root URLconf, WSGI/ASGI, and the commands that span every
    app (seed_demo). It sits above the apps' layers (docs/architecture.md) and is an app only so that
    Django finds its management commands."""

    name = "config"
    label = "project"
    verbose_name = "Project"
