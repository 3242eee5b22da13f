"""Benchmarks: print figures, never fail. `make bench`.

Runs against a throw-away SQLite database (or DATABASE_URL), migrated fresh, so figures from two
machines or two commits compare like with like.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("MARKETPLACE_VAR_DIR", tempfile.mkdtemp(prefix="marketplace-bench-"))

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def measure(client: Client, path: str, runs: int = 200) -> None:
    client.get(path)  # warm caches and templates
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    timings.sort()
    print(
        f"{path:<22} median {statistics.median(timings):6.2f} ms   p95 {timings[int(runs * 0.95)]:6.2f} ms   "
        f"queries {len(queries):3d}   ({runs} runs)"
    )


def main() -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    client = Client()
    print(f"database: {connection.vendor}")
    measure(client, "/")
    measure(client, "/healthz")
    measure(client, "/accounts/login/")


if __name__ == "__main__":
    main()
