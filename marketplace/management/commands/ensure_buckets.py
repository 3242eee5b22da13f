"""Create the object store's buckets if they are missing (run once per deployment, and safe to run
again): S3_BUCKET for public media, readable by anyone, and S3_PRIVATE_BUCKET for personal
documents, readable by nobody without the app's keys."""

import json

from django.conf import settings
from django.core.files.storage import storages
from django.core.management.base import BaseCommand, CommandError


def public_read_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicReadMedia",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": ["s3:GetObject"],
                    "Resource": [f"arn:aws:s3:::{bucket}/*"],
                }
            ],
        }
    )


class Command(BaseCommand):
    help = "Create the S3 buckets for public media and private documents if they are missing."

    def handle(self, *args, **options):
        if not (settings.S3_ENDPOINT_URL and settings.S3_BUCKET):
            raise CommandError("S3_ENDPOINT_URL and S3_BUCKET are not set: media are on the local disk.")
        from botocore.exceptions import ClientError

        for alias, public in (("default", True), ("private", False)):
            storage = storages[alias]
            client, bucket = storage.connection.meta.client, storage.bucket_name
            try:
                client.head_bucket(Bucket=bucket)
                self.stdout.write(f"{bucket}: exists")
            except ClientError:
                client.create_bucket(Bucket=bucket)
                self.stdout.write(f"{bucket}: created")
            if public:
                try:
                    client.put_bucket_policy(Bucket=bucket, Policy=public_read_policy(bucket))
                    self.stdout.write(f"{bucket}: anyone may read its objects")
                except ClientError as error:
                    # SeaweedFS grants anonymous reads in its identity config instead (deploy/).
                    self.stdout.write(f"{bucket}: no bucket policy set ({error.response['Error'].get('Code')})")
