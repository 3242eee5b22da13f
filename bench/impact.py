"""Benchmark: the coordinators' impact dashboard at programme scale. Prints timings; never fails.

    .venv/bin/python bench/impact.py [HOUSEHOLDS [sqlite|postgresql]]   (default 100,000, both)

Runs itself twice, in child processes: on a throw-away SQLite database, and on PostgreSQL at
BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/bench_impact; the database is
created and dropped here; skipped with a note when the server is not there). Each run bulk-inserts
half the data (households, groups, ledger entries in the ratio 100 : 1 : 1,000), times the
dashboard, inserts the other half and times it again, so the output says how the cost grows when
the data doubles. What is timed is the server's work for one dashboard page of a coordinator who
covers the whole province: the selector calls (income.impact.figures.impact_summary) and the full page
(Django test client: view + template render).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench_impact")


def parent(households: int, engines: set[str]) -> None:
    print(f"impact dashboard: {households:,} households, {households // 100:,} groups, {households * 10:,} entries")
    env = {**os.environ, "MARKETPLACE_VAR_DIR": tempfile.mkdtemp(prefix="marketplace-bench-")}
    env.pop("DATABASE_URL", None)
    if "sqlite" in engines:
        subprocess.run([sys.executable, __file__, "--child", str(households)], env=env, check=False)  # noqa: S603
    if "postgresql" in engines and _create_postgres_database():
        try:
            subprocess.run(  # noqa: S603
                [sys.executable, __file__, "--child", str(households)],
                env={**env, "DATABASE_URL": POSTGRES_URL},
                check=False,
            )
        finally:
            _drop_postgres_database()


def _admin_connection():
    import psycopg

    base, _slash, _name = POSTGRES_URL.rpartition("/")
    return psycopg.connect(base + "/postgres", autocommit=True, connect_timeout=5)


def _create_postgres_database() -> bool:
    name = POSTGRES_URL.rpartition("/")[2]
    try:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as error:
        print(f"postgresql: skipped ({error.__class__.__name__}: {error})")
        return False
    return True


def _drop_postgres_database() -> None:
    name = POSTGRES_URL.rpartition("/")[2]
    try:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as error:
        print(f"postgresql: could not drop {name}: {error}")


# --- In the child: one database -------------------------------------------------------------


def child(households: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)  # the page-creation and task log lines of the set-up
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    world = _world()
    half = households // 2
    print(f"\n{connection.vendor}: migrated in {time.perf_counter() - start:.1f} s")
    results = []
    for label, (first, last) in (("half", (0, half)), ("full", (half, households))):
        start = time.perf_counter()
        _insert(world, first, last)
        inserted = time.perf_counter() - start
        with connection.cursor() as cursor:
            # What autovacuum does soon after bulk inserts on PostgreSQL (statistics, and the
            # visibility map that lets the ledger be read from its covering index alone).
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(f"  inserted households {first:,}–{last:,} and their entries in {inserted:.1f} s")
        results.append((label, last, _measure(world)))
    (_l1, n1, (s1, p1)), (_l2, n2, (s2, p2)) = results
    print(f"  doubling the data ({n1:,} → {n2:,} households): selectors ×{s2 / s1:.2f}, whole page ×{p2 / p1:.2f}")


def _world():
    """Institution, coordinator, company, a product and its page (orders need one)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.utils import timezone

    from buyers.models import Company
    from cms.models import Category, ProducerGroupPage, ProducersIndexPage, ProductPage, Unit
    from producers.models import Institution, ProducerGroup
    from tests.factories.accounts import UserFactory
    from tests.factories.households import assign

    institution = Institution.objects.create(code="BENCH", name_th="มหาวิทยาลัยทดสอบ", province_code="46")
    coordinator = UserFactory(email="bench.coordinator@example.org")
    assign(coordinator, province_code="46", institution=institution)
    TOTP.activate(coordinator, generate_totp_secret())
    company = Company.objects.create(name_th="บริษัท ทดสอบสเกล จำกัด", tax_id="0105536000315")
    category, _created = Category.objects.get_or_create(slug="bench-goods", defaults={"name": "สินค้าทดสอบสเกล"})
    first_group = ProducerGroup.objects.create(
        code="BENCH-G-PAGE",
        institution=institution,
        name_th="กลุ่มหน้าสินค้า",
        province_code="46",
        district_code="4601",
    )
    group_page = ProducerGroupPage(group=first_group, title=first_group.name_th, slug="bench-group")
    ProducersIndexPage.objects.get().add_child(instance=group_page)
    product = ProductPage(
        title="ผ้าไหมทดสอบสเกล",
        slug="bench-silk",
        sku="BENCH-1",
        description="<p>ทดสอบ</p>",
        unit=Unit.KG,
        price=100,
        available_quantity=0,
        category=category,
        first_published_at=timezone.now(),
    )
    group_page.add_child(instance=product)
    return {"institution": institution, "coordinator": coordinator, "company": company, "product": product}


def _insert(world, first: int, last: int) -> None:
    """Households first…last−1 with their groups (one per 100 households), one delivered order per
    group, ten ledger entries per household over two years (a few reversals), and a follow-up
    survey for every third household. Bulk inserts only (the ledger's guard allows bulk_create)."""
    import datetime
    import random
    from decimal import Decimal

    import geothai
    from django.utils import timezone

    from income.models import HouseholdIncomeEntry
    from orders.models import Delivery, DeliveryLine, Order, OrderLine
    from producers.models import Enrolment, Household, IncomeSurvey, PovertySource, ProducerGroup

    rng = random.Random(first)
    districts = [d.code for d in geothai.districts("46")]
    institution, company, product = world["institution"], world["company"], world["product"]
    group_numbers = range(first // 100, last // 100)
    groups = ProducerGroup.objects.bulk_create(
        [
            ProducerGroup(
                code=f"BENCH-G{n:05d}",
                institution=institution,
                name_th=f"กลุ่มทดสอบ {n}",
                province_code="46",
                district_code=districts[n % len(districts)],
            )
            for n in group_numbers
        ],
        batch_size=2000,
    )
    if not all(group.pk for group in groups):  # SQLite before 3.35 returns no ids
        groups = list(ProducerGroup.objects.filter(code__in=[g.code for g in groups]).order_by("code"))
    orders = Order.objects.bulk_create(
        [
            Order(
                number=f"BENCH-O{g.code}",
                kind=Order.Kind.MARKETPLACE,
                company=company,
                group=g,
                status="completed",
                payment_status="paid",
                fulfilment_status="delivered",
                placed_at=timezone.now(),
            )
            for g in groups
        ],
        batch_size=2000,
    )
    lines = OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=o,
                product=product,
                quantity=Decimal("1000"),
                product_name="ผ้าไหม",
                unit="kg",
                unit_price=Decimal("100"),
            )
            for o in orders
        ],
        batch_size=2000,
    )
    deliveries = Delivery.objects.bulk_create(
        [
            Delivery(order=o, number=f"BENCH-D{o.number}", delivered_on=datetime.date(2025, 1, 1), status="accepted")
            for o in orders
        ],
        batch_size=2000,
    )
    delivery_lines = DeliveryLine.objects.bulk_create(
        [
            DeliveryLine(
                delivery=d,
                order_line=line,
                quantity=Decimal("1000"),
                accepted_quantity=Decimal("1000"),
                rejected_quantity=Decimal("0"),
            )
            for d, line in zip(deliveries, lines, strict=True)
        ],
        batch_size=2000,
    )
    today = timezone.localdate()
    chunk = 10_000
    for start in range(first, last, chunk):
        end = min(start + chunk, last)
        households = Household.objects.bulk_create(
            [
                Household(
                    code=f"BENCH-H{n:07d}",
                    institution=institution,
                    head_name=f"ผู้ทดสอบ สมมติ{n}",
                    members=rng.randint(1, 7),
                    province_code="46",
                    district_code=groups[(n - first) // 100].district_code,
                    poverty_source=PovertySource.TPMAP,
                    poverty_year=2023,
                    baseline_annual_income=Decimal(rng.randint(30_000, 160_000)),
                    baseline_year=2023,
                    baseline_date=datetime.date(2023, 6, 1),
                )
                for n in range(start, end)
            ],
            batch_size=2000,
        )
        if not all(h.pk for h in households):
            households = list(Household.objects.filter(code__gte=f"BENCH-H{start:07d}", code__lt=f"BENCH-H{end:07d}"))
            households.sort(key=lambda h: h.code)
        Enrolment.objects.bulk_create(
            [Enrolment(household=h, group=groups[(start + i - first) // 100]) for i, h in enumerate(households)],
            batch_size=5000,
        )
        IncomeSurvey.objects.bulk_create(
            [
                IncomeSurvey(
                    household=h,
                    surveyed_on=today - datetime.timedelta(days=rng.randint(30, 400)),
                    annual_income=h.baseline_annual_income * Decimal("1.1"),
                    members=h.members,
                    source=PovertySource.BMN,
                )
                for h in households[::3]
            ],
            batch_size=5000,
        )
        entries = []
        for i, h in enumerate(households):
            index = (start + i - first) // 100
            group, order, delivery_line = groups[index], orders[index], delivery_lines[index]
            for k in range(10):
                reversal = k == 9 and i % 10 == 0
                entries.append(
                    HouseholdIncomeEntry(
                        household=h,
                        group=group,
                        order=order,
                        delivery_line=delivery_line,
                        kind="reversal" if reversal else "sale",
                        quantity=Decimal("1.000"),
                        amount=Decimal(-rng.randint(10, 500) if reversal else rng.randint(100, 4000)),
                        settlement_key=f"bench:{h.code}:{k}",
                        earned_on=today - datetime.timedelta(days=rng.randint(0, 730)),
                    )
                )
        # The real ledger is written as deliveries settle, not household by household: the rows
        # of one household lie scattered over the table.
        entries.sort(key=lambda entry: (entry.earned_on, entry.settlement_key))
        HouseholdIncomeEntry.objects.bulk_create(entries, batch_size=5000)


def _measure(world, runs: int = 3):
    import statistics

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from income.impact import figures as impact

    coordinator = world["coordinator"]

    def selectors_once():
        coordinator.__dict__.pop("_impact_scope", None)
        return impact.impact_summary(coordinator, impact.ImpactFilters())

    summary = selectors_once()  # warm
    selector_times = []
    for _ in range(runs):
        start = time.perf_counter()
        summary = selectors_once()
        selector_times.append(time.perf_counter() - start)
    client = Client()
    client.force_login(coordinator)
    url = reverse("impact:dashboard")
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    page_times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        page_times.append(time.perf_counter() - start)
    # Counted with a wrapper rather than CaptureQueriesContext: the test client's request signals
    # reset connection.queries at the start of each request, and outside tests DEBUG is off.
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    filtered = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url + "?district=4601&date_from=2026-01-01")
        filtered.append(time.perf_counter() - start)
    h = summary.households
    s, p, f = statistics.median(selector_times), statistics.median(page_times), statistics.median(filtered)
    print(
        f"  {h.enrolled:,} enrolled · {h.earning:,} earning · paid ฿{h.total_paid:,} · median uplift "
        f"฿{h.median_uplift:,} · mean ฿{h.mean_uplift:,} · crossed {h.crossed:,} ({h.crossed_share}%) · "
        f"very poor {h.very_poor:,}"
    )
    print(
        f"  selectors {s * 1000:7.0f} ms · whole page {p * 1000:7.0f} ms ({len(queries)} queries) · "
        f"filtered by district and period {f * 1000:7.0f} ms   (median of {runs})"
    )
    return s, p


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(int(sys.argv[2]))
    else:
        parent(
            int(sys.argv[1]) if len(sys.argv) > 1 else 100_000,
            set(sys.argv[2:]) or {"sqlite", "postgresql"},
        )
