"""Where files live: public media (Wagtail images and renditions) in the default storage, personal
documents (consent evidence, signed agreements, import uploads, delivery photos) in the private
one. Both are the local disk unless S3 is configured (config/settings: S3_ENDPOINT_URL, S3_BUCKET):
then two buckets, the private one never readable without a signature. Private files have no
public URL either way: an access-checked view writes an audit event and streams them."""

from __future__ import annotations

from django.core.files.storage import FileSystemStorage, storages
from storages.backends.s3 import S3Storage

# What an unreachable or refusing object store raises (botocore's connection errors are
# subclasses of these; ClientError is a refusal such as a missing bucket or bad keys).
try:
    from botocore.exceptions import BotoCoreError, ClientError

    STORAGE_ERRORS: tuple[type[Exception], ...] = (BotoCoreError, ClientError, ConnectionError, TimeoutError)
except ImportError:  # pragma: no cover - boto3 is a requirement
    STORAGE_ERRORS = (ConnectionError, TimeoutError)


class PrivateFileSystemStorage(FileSystemStorage):
    """Files holding personal data (e.g. signed consent forms). They have no public URL: a view
    that checks access and writes an audit event must stream them."""

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through an access-checked view.")


class PublicS3Storage(S3Storage):
    """Public media in S3_BUCKET: URLs without signatures, so pages and renditions cache."""


class PrivateS3Storage(S3Storage):
    """Personal documents in S3_PRIVATE_BUCKET. Like the disk version, no URL is handed out: the
    audited views stream the file (a signed URL would outlive the access check and the audit)."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        raise ValueError("Private files have no public URL; serve them through an access-checked view.")


def check_storage() -> None:
    """Raise unless both storages answer (for /healthz and /readyz): a cheap existence query."""
    for alias in ("default", "private"):
        storages[alias].exists("healthz-probe")
