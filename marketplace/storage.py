from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Files holding personal data (e.g. signed consent forms). They have no public URL: a view
    that checks access and writes an audit event must stream them."""

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through an access-checked view.")
