"""Benchmark: the public catalogue with 10,000 products, served by gunicorn, against a bare Django
view served the same way. Prints a table of requests per second; never fails the build.

    .venv/bin/python bench/catalogue.py [--products 10000] [--seconds 10] [--keep]

What it does, in a throw-away directory (database, media, static files):

1. migrates a fresh SQLite database and runs `seed_demo` (the demo groups, categories and photos);
2. adds producer groups through cms.services.ensure_group_page and bulk-inserts the products under
   them (tree paths computed here, rows inserted in batches, then indexed for search in batches:
   minutes, not the hours that saving pages one by one would take);
3. starts `gunicorn config.wsgi -w 2` with production settings (DEBUG off) and
   `gunicorn bench.bare:application -w 2` (Django answering "ok", no middleware, no database);
4. loads each URL for --seconds with `wrk` (or, where wrk is not installed, a Python load generator
   of threads on keep-alive connections): the catalogue, a product page and a Thai search, each
   uncached and through the anonymous page cache (cms.cache).

"Uncached" requests carry a `messages` cookie: cms.cache never serves or stores a page for such a
request (the page might show the visitor a message), so they reach the view, without the session
lookup a `sessionid` cookie would add. The anonymous page cache is then off, but the data caches
every visitor's page is built from stay on, as they are for signed-in users, all kept under the
page cache's generation, which any publish, stock change or change to a restriction, site,
category, certification or group bumps: the Site (cms.cache.find_site), routes with the routed
page (cms.cache.cached_route), view restrictions (cms.cache.restricted_paths), product cards
(cms.catalogue.prepare_cards), filter choices, result counts, breadcrumbs, and the fragments
every reader shares (cms.cache.fragment, like Django's {% cache %}): the catalogue's filters and
listing per query string and language, a product page less its buy box, search results per query.
After the warm-up, what the page measured needs is in them; each worker fills its own. The
middleware, the view and the layout around the fragments (header, messages, language switcher,
buy box with a signed-in visitor's CSRF token) run on every request. A last row asks for a page
of the listing not asked before on each request (the Python load generator only), so its
fragment and most of its cards are made during the request. "Cached" requests are an anonymous
visitor's, after one warm-up request per gunicorn worker (each worker has its own local-memory
cache here; with REDIS_URL set they would share one).

Targets from the issue: uncached at least 10% of the bare view, cached at least 50%.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET_KEY = "bench-secret-key-not-for-production-0123456789-abcdefghij"
HASH_KEY = "bench-citizen-id-hash-key-not-for-production"
UNCACHED_COOKIE = "messages=bench"
PRODUCT_BATCH = 500
WARM_UP_SECONDS = 3
ORDERS = ("newest", "price", "-price")
UNCACHED_EXPLAINED = """\
uncached: the anonymous page cache is off (messages cookie). Every request runs the whole middleware
          stack, the view and the page's layout (header, messages, language switcher, buy box).
          The data caches stay on, all under the generation that any publish, stock change,
          restriction, site, category, certification or group change bumps: the Site, routes with
          the routed page, view restrictions, product cards, filter choices, result counts,
          breadcrumbs, and the fragments every reader shares (cms.cache.fragment): the catalogue's
          filters and listing per query string, a product page less its buy box, search results
          per query.
cold:     the catalogue, page cache off as above, a different page of the listing (of all three
          orders) on each request: its fragment and most of its cards are made during the
          request. For information: no target.
cached:   anonymous page cache on (cms.cache.AnonymousPageCacheMiddleware): a stored response."""
REQUEST_TIMEOUT = 30


def site_environment(var_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "CITIZEN_ID_HASH_KEY": HASH_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "MARKETPLACE_VAR_DIR": str(var_dir),
        "DJANGO_LOG_LEVEL": "WARNING",
        # The demo data places orders, whose emails must go nowhere.
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        # …and whose payments go to the offline Stripe fake, which production allows only on a demo.
        "STRIPE_OFFLINE_DEMO": "1",
        "DATABASE_URL": f"sqlite:///{var_dir / 'marketplace.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }


# --- Building the catalogue -----------------------------------------------------------------


def build(products: int) -> dict[str, str]:
    """Runs in this process (Django set up for the throw-away directory). Returns the URLs to load."""
    import django

    django.setup()

    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from wagtail.models import Locale
    from wagtail.search.backends import get_search_backend

    from cms import demo
    from cms.models import ProducerGroupPage, ProductPage, ProductPhoto
    from cms.search import refresh_planner_statistics
    from cms.services import ensure_group_page
    from cms.thai_search import segment_for_index
    from producers.models import Institution, ProducerGroup

    quiet = open(os.devnull, "w")  # noqa: SIM115 - for the life of the build
    started = time.perf_counter()
    call_command("migrate", verbosity=0, stdout=quiet)
    call_command("collectstatic", verbosity=0, interactive=False, stdout=quiet)
    call_command("seed_demo", force=True, stdout=quiet)
    print(f"  migrate, collectstatic, seed_demo: {time.perf_counter() - started:5.1f} s")

    # The products spread over groups of 100, like a programme with many small producer groups.
    started = time.perf_counter()
    institution = Institution.objects.get(code="KSU")
    group_count = max(1, products // 100)
    group_pages = []
    for n in range(group_count):
        group, _created = ProducerGroup.objects.get_or_create(
            code=f"BENCH-{n + 1:04d}",
            defaults={
                "institution": institution,
                "name_th": f"กลุ่มผู้ผลิตทดสอบความเร็ว {n + 1}",
                "name_en": f"Benchmark producer group {n + 1}",
                "province_code": "46",
                "district_code": "4601",
                "subdistrict_code": "460101",
            },
        )
        group_pages.append(ensure_group_page(group))
    print(f"  {group_count} producer groups with pages:  {time.perf_counter() - started:5.1f} s")

    # What to copy: the demo's sixty products, their photos and certifications.
    specs = [spec for group in demo.GROUPS.values() for spec in group.products]
    demo_pages = {page.sku: page for page in ProductPage.objects.filter(sku__in=[spec.sku for spec in specs])}
    photos = {sku: list(page.gallery.values_list("image_id", "alt_text")) for sku, page in demo_pages.items()}
    certifications = {sku: list(page.certifications.values_list("pk", flat=True)) for sku, page in demo_pages.items()}
    segmented = {spec.sku: segment_for_index(spec.title, spec.title_en, spec.description) for spec in specs}

    started = time.perf_counter()
    content_type_id = ProductPage().content_type_id
    locale_id = Locale.get_default().pk
    now = timezone.now()
    through = ProductPage.certifications.through
    local_fields = ProductPage._meta.local_concrete_fields
    created = 0
    per_group = -(-products // len(group_pages))
    for group_page in group_pages:
        group_page = ProducerGroupPage.objects.get(pk=group_page.pk)
        count = min(per_group, products - created)
        if count <= 0:
            break
        pages = []
        for position in range(1, count + 1):
            n = created + position
            spec = specs[n % len(specs)]
            demo_page = demo_pages[spec.sku]
            sku = f"BENCH-{n:05d}"
            slug = sku.lower()
            title = f"{spec.title} รุ่น {n}"
            pages.append(
                ProductPage(
                    title=title,
                    draft_title=title,
                    title_en=f"{spec.title_en}, lot {n}",
                    slug=slug,
                    content_type_id=content_type_id,
                    locale_id=locale_id,
                    # treebeard's materialised path: the parent's, then this child's number in
                    # base 36 over four characters.
                    path=group_page.path + _base36(position).rjust(4, "0"),
                    depth=group_page.depth + 1,
                    numchild=0,
                    url_path=f"{group_page.url_path}{slug}/",
                    live=True,
                    has_unpublished_changes=False,
                    first_published_at=now,
                    last_published_at=now,
                    latest_revision_created_at=now,
                    category_id=demo_page.category_id,
                    description=demo_page.description,
                    description_en=demo_page.description_en,
                    unit=demo_page.unit,
                    price=demo_page.price,
                    min_order_quantity=demo_page.min_order_quantity,
                    available_quantity=demo_page.available_quantity,
                    monthly_capacity=demo_page.monthly_capacity,
                    lead_time_days=demo_page.lead_time_days,
                    seasonal_months=demo_page.seasonal_months,
                    shelf_life_days=demo_page.shelf_life_days,
                    storage=demo_page.storage,
                    sku=sku,
                    search_text=f"{segmented[spec.sku]} รุ่น {n} {slug}",
                )
            )
        for start in range(0, len(pages), PRODUCT_BATCH):
            batch = pages[start : start + PRODUCT_BATCH]
            with transaction.atomic():
                _insert_pages(batch, local_fields)
                ProductPhoto.objects.bulk_create(
                    ProductPhoto(page_id=page.pk, image_id=image_id, alt_text=alt_text, sort_order=order)
                    for page in batch
                    for order, (image_id, alt_text) in enumerate(photos[_spec_sku(page, specs)])
                )
                through.objects.bulk_create(
                    through(productpage_id=page.pk, certification_id=certification_id)
                    for page in batch
                    for certification_id in certifications[_spec_sku(page, specs)]
                )
        type(group_page).objects.filter(pk=group_page.pk).update(numchild=group_page.numchild + count)
        created += count
    print(f"  {created} products inserted:           {time.perf_counter() - started:5.1f} s")

    started = time.perf_counter()
    backend = get_search_backend()
    product_ids = list(ProductPage.objects.filter(sku__startswith="BENCH-").order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(product_ids), PRODUCT_BATCH):
        chunk = list(ProductPage.objects.filter(pk__in=product_ids[start : start + PRODUCT_BATCH]))
        backend.add_bulk(ProductPage, chunk)
    print(f"  search index:                     {time.perf_counter() - started:5.1f} s")

    # What a publish does after writing the index (cms.search): the rows above were inserted
    # without publishing, so the planner statistics are brought up to date here the same way.
    started = time.perf_counter()
    refresh_planner_statistics()
    print(f"  planner statistics (ANALYZE):     {time.perf_counter() - started:5.1f} s")

    return find_urls(products)


def find_urls(products: int) -> dict[str, str]:
    import django

    django.setup()
    from django.db import connection

    from cms.models import ProductPage

    product = ProductPage.objects.filter(sku__startswith="BENCH-").order_by("pk")[products // 2]
    urls = {
        "bare view": "/",
        "catalogue /products/": "/products/",
        "product page": product.url_path.removeprefix("/home"),
        "search ผ้าไหม": "/search/?q=" + urllib.parse.quote("ผ้าไหม"),
    }
    live = ProductPage.objects.live().count()
    print(f"  live products: {live}; database: {connection.vendor}")
    connection.close()
    return urls


def _spec_sku(page, specs) -> str:
    n = int(page.sku.removeprefix("BENCH-"))
    return specs[n % len(specs)].sku


def _insert_pages(pages, local_fields) -> None:
    """Insert product pages without saving them one by one: the wagtailcore_page rows in one
    bulk insert (which returns their ids), then the cms_productpage rows pointing at them."""
    from wagtail.models import Page

    parent_fields = [field for field in Page._meta.concrete_fields if not field.primary_key]
    rows = [Page(**{field.attname: getattr(page, field.attname) for field in parent_fields}) for page in pages]
    Page.objects.bulk_create(rows)
    for page, row in zip(pages, rows, strict=True):
        page.page_ptr_id = page.pk = row.pk
    type(pages[0])._base_manager._insert(pages, fields=local_fields)


def _base36(number: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


# --- Serving --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), app, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    process = subprocess.Popen(  # noqa: S603 - our own command line
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited: see {log}") from None
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn {app} did not start: see {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def get(port: int, path: str, cookie: str = "") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT * 2)
    headers = {"Cookie": cookie} if cookie else {}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


# --- Load -----------------------------------------------------------------------------------


def drain(port: int, path: str) -> None:
    """Wait until the server has answered everything still queued: two requests in a row (one per
    worker, roughly) come back at once."""
    deadline = time.monotonic() + 120
    quick = 0
    while quick < 2 and time.monotonic() < deadline:
        started = time.monotonic()
        get(port, "/" if path == "/" else "/healthz")  # `path` may be a list: not "/"
        quick = quick + 1 if time.monotonic() - started < 0.5 else 0


def load_with_wrk(port: int, path: str, seconds: int, cookie: str, connections: int) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={REQUEST_TIMEOUT}s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    for problem in ("Non-2xx or 3xx responses", "Socket errors"):
        if match := re.search(rf"{problem}: (.*)", output):
            print(f"    ! {path}: {problem.lower()}: {match.group(1)}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def mean_latency_ms(rate: float, connections: int) -> float:
    """With every connection always waiting for an answer, the mean time to answer one."""
    return connections / rate * 1000 if rate else float("inf")


def load_with_python(port: int, path, seconds: int, cookie: str, connections: int) -> float:
    """Threads on keep-alive connections (gunicorn's sync workers close after each response, and
    http.client reopens): a fallback for machines without wrk, itself limited by the GIL. `path`
    may be a list: the requests then go through it in turn, each path once before any repeats."""
    headers = {"Cookie": cookie} if cookie else {}
    paths = itertools.cycle(path if isinstance(path, list) else [path])
    deadline = time.monotonic() + seconds
    counts = [0] * connections
    failures = [0] * connections

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
        while time.monotonic() < deadline:
            try:
                connection.request("GET", next(paths), headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    failures[index] += 1
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException):
                failures[index] += 1
                connection.close()
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if sum(failures):
        print(f"    ! {sum(failures)} failed requests for {path}")
    return sum(counts) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the throw-away directory")
    parser.add_argument("--reuse", type=Path, help="serve a directory an earlier run kept, without building")
    args = parser.parse_args()

    var_dir = args.reuse or Path(tempfile.mkdtemp(prefix="marketplace-bench-catalogue-"))
    env = site_environment(var_dir)
    os.environ.update({key: value for key, value in env.items() if key != "PYTHONPATH"})
    load = load_with_wrk if shutil.which("wrk") else load_with_python
    servers = []
    try:
        if args.reuse:
            print(f"Reusing {var_dir}")
            urls = find_urls(args.products)
        else:
            print(f"Building {args.products} products in {var_dir}")
            urls = build(args.products)
        site_port, bare_port = free_port(), free_port()
        servers.append(start_gunicorn("config.wsgi", site_port, env, var_dir / "gunicorn-site.log"))
        servers.append(
            start_gunicorn(
                "bench.bare:application",
                bare_port,
                {**env, "DJANGO_SETTINGS_MODULE": "bench.bare"},
                var_dir / "gunicorn-bare.log",
            )
        )

        for name, path in urls.items():
            port = bare_port if name == "bare view" else site_port
            status, body = get(port, path, UNCACHED_COOKIE)
            if status != 200:
                raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
            if name == "search ผ้าไหม" and "ผ้าไหม".encode() not in body:
                raise RuntimeError("the search found no silk")
        print(
            f"Load: {load.__name__.removeprefix('load_with_')}, {args.connections} connections, {args.seconds} s each"
        )

        def measure(port, path, cookie, warm_up_path=None):
            # A short unmeasured run first, so that both workers have loaded what they load once
            # (templates, PyThaiNLP's dictionary, image renditions) and filled their page cache.
            load(port, warm_up_path or path, WARM_UP_SECONDS, cookie, args.connections)
            drain(port, path)
            rate = load(port, path, args.seconds, cookie, args.connections)
            drain(port, path)  # requests still queued when the load stopped must not slow the next
            return rate

        bare = measure(bare_port, "/", "")
        rows = [("bare Django view", "", bare)]
        for name, path in urls.items():
            if name != "bare view":
                rows.append((name, "uncached", measure(site_port, path, UNCACHED_COOKIE)))
                rows.append((name, "cached", measure(site_port, path, "")))
        if load is load_with_python:
            # Every request a page of the listing not asked for before (each page of each order):
            # the fragment misses, and so do most cards; the warm-up asks other pages (in stock
            # only), which fills the filter choices and loads the templates.
            pages = -(-args.products // 24)
            fresh = [f"/products/?sort={order}&page={n}" for n in range(1, pages + 1) for order in ORDERS]
            warm = [f"/products/?in_stock=on&page={n}" for n in range(1, pages + 1)]
            rows.append(("catalogue, pages not seen", "cold", measure(site_port, fresh, UNCACHED_COOKIE, warm)))

        print()
        print(UNCACHED_EXPLAINED)
        print(f"{'URL':<26} {'mode':<9} {'req/s':>9} {'latency':>10} {'vs bare':>8}  target")
        for name, mode, rate in rows:
            target = {"uncached": "≥ 10%", "cached": "≥ 50%"}.get(mode, "")
            verdict = ""
            if target:
                verdict = " ok" if rate / bare >= (0.10 if mode == "uncached" else 0.50) else " MISSED"
            latency = mean_latency_ms(rate, args.connections)
            print(f"{name:<26} {mode:<9} {rate:9.2f} {latency:8.0f}ms {rate / bare:8.2%}  {target}{verdict}")
    finally:
        for process in servers:
            stop(process)
        if args.keep or args.reuse:
            print(f"Kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # a benchmark reports; it never fails the build
        print(f"bench/catalogue.py could not finish: {error!r}")
