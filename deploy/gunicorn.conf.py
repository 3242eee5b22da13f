"""gunicorn settings for one app server (deploy/systemd/marketplace-web.service runs
`gunicorn -c deploy/gunicorn.conf.py config.wsgi`). Every value can be overridden from the
environment file (/etc/marketplace/env) without editing this file."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Two workers per core, each with a few threads: requests wait on PostgreSQL, Redis and S3.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Nothing slow happens in a request (mail, Stripe and imports run in the worker), so a request
# that takes longer than this is stuck: kill it rather than hold a worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Restart workers now and then so a slow leak never grows; jitter keeps them from restarting together.
max_requests = 2000
max_requests_jitter = 200
# nginx on the same host (or the load balancer's addresses) sets X-Forwarded-For/-Proto.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Load the app once before forking: a configuration error stops the service at start.
preload_app = True
