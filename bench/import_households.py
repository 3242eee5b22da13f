"""Benchmark: the household import on a 50,000-row file. Prints rows per second; never fails.

    .venv/bin/python bench/import_households.py [ROWS]

Runs against a throw-away SQLite database, migrated fresh (or DATABASE_URL: point it at a
database you can throw away). Times three runs of the same generated CSV: a dry run (read and
check only), the first import (every row created, with enrolment and consent) and a re-import
(every row unchanged).
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("MARKETPLACE_VAR_DIR", tempfile.mkdtemp(prefix="marketplace-bench-"))

import django

django.setup()

import csv  # noqa: E402
import io  # noqa: E402
import random  # noqa: E402

import geothai  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from producers import citizen_id  # noqa: E402
from producers.importing import applying, parsing, validation  # noqa: E402
from producers.models import Household, Institution, ProducerGroup  # noqa: E402

HEADER = [
    "household_code",
    "citizen_id",
    "head_name",
    "phone",
    "members",
    "province_code",
    "district_code",
    "subdistrict_code",
    "village",
    "baseline_annual_income",
    "baseline_year",
    "poverty_source",
    "group_code",
    "consent",
    "consent_date",
]


def generate_csv(rows: int, *, run_id: int, groups: list[ProducerGroup]) -> bytes:
    """`rows` fictional Kalasin households, spread over the groups' districts; codes and citizen
    IDs unique to this run so a reused database still sees new households."""
    rng = random.Random(run_id)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for n in range(rows):
        group = groups[n % len(groups)]
        subdistricts = geothai.subdistricts(group.district_code)
        first_twelve = f"{1 + run_id % 8}{run_id % 1000:03d}{n:08d}"
        consent = rng.choice(["ใช่", "ใช่", "ใช่", "ไม่", ""])
        writer.writerow(
            [
                f"BENCH-{run_id}-{n:06d}",
                first_twelve + str(citizen_id.check_digit(first_twelve)),
                f"ผู้ทดสอบ สมมติ{n}",
                f"08{rng.randint(10_000_000, 99_999_999)}",
                rng.randint(1, 8),
                group.province_code,
                group.district_code,
                subdistricts[n % len(subdistricts)].code,
                f"หมู่ {n % 15 + 1}",
                f"{rng.randint(20_000, 150_000):,}",
                "2567",
                rng.choice(["TPMAP", "จปฐ.", "บัตรสวัสดิการ"]),
                group.code,
                consent,
                "1/6/2567" if consent else "",
            ]
        )
    return buffer.getvalue().encode("utf-8")


def timed(label: str, rows: int, **kwargs) -> parsing.ImportReport:
    start = time.perf_counter()
    report = applying.import_households(scope=validation.ImportScope.system(), **kwargs)
    seconds = time.perf_counter() - start
    assert report.ok, [str(error) for error in report.errors[:5]]
    print(
        f"{label:<12} {rows:>7,} rows in {seconds:6.2f} s   {rows / seconds:8,.0f} rows/s   "
        f"created {report.created:,}  updated {report.updated:,}  unchanged {report.unchanged:,}"
    )
    return report


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    call_command("migrate", verbosity=0)
    institution, _created = Institution.objects.get_or_create(
        code="BENCH", defaults={"name_th": "มหาวิทยาลัยทดสอบ", "province_code": "46"}
    )
    groups = []
    for district in geothai.districts("46")[:6]:
        group, _created = ProducerGroup.objects.get_or_create(
            code=f"BENCH-{district.code}",
            defaults={
                "institution": institution,
                "name_th": f"กลุ่มทดสอบ {district.name_th}",
                "province_code": "46",
                "district_code": district.code,
            },
        )
        groups.append(group)
    run_id = int(time.time()) % 100_000
    data = generate_csv(rows, run_id=run_id, groups=groups)
    print(f"database: {connection.vendor}   file: {len(data) / 1_048_576:.1f} MB CSV")
    arguments = {"data": data, "filename": "bench.csv", "institution": institution}
    timed("dry run", rows, dry_run=True, **arguments)
    timed("import", rows, **arguments)
    timed("re-import", rows, **arguments)
    print(f"households in the database: {Household.objects.count():,}")


if __name__ == "__main__":
    main()
