"""Where files live: public media (Wagtail images and renditions) in the default storage, personal
documents (consent evidence, signed agreements, import uploads, delivery photos) in the private
one. Both are the local disk unless S3 is configured (config/settings: S3_ENDPOINT_URL, S3_BUCKET)."""

from django.core.files.storage import FileSystemStorage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    """Files holding personal data (e.g. signed consent forms). They have no public URL: a view
    that checks access and writes an audit event must stream them."""

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through an access-checked view.")


def check_storage() -> None:
    """Raise unless both storages answer (for /healthz and /readyz): a cheap existence query."""
    for alias in ("default", "private"):
        storages[alias].exists("healthz-probe")
