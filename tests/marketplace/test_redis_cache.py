"""The shared cache on a real Redis (127.0.0.1:6379, database 7): what one app server writes the
other reads, and a Redis that is down costs nothing but speed (marketplace.cache)."""

from __future__ import annotations

import logging
import os
import uuid

import pytest
import redis
from django.core.cache import cache

from marketplace.cache import FaultTolerantRedisCache
from tests.smtp import free_port

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def _redis_up() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def redis_url():
    if not _redis_up():
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS_URL} (REQUIRE_REDIS=1)")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


def host_cache(location: str, prefix: str) -> FaultTolerantRedisCache:
    """The cache one app server process would have."""
    return FaultTolerantRedisCache(location, {"KEY_PREFIX": prefix, "OPTIONS": {}})


@pytest.fixture
def shared(settings, redis_url):
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {"BACKEND": "marketplace.cache.FaultTolerantRedisCache", "LOCATION": redis_url, "KEY_PREFIX": prefix}
    }
    yield prefix
    host_cache(redis_url, prefix).clear()


def test_a_publish_on_one_host_makes_the_other_hosts_pages_stale(shared, redis_url, db):
    from cms import cache as page_cache

    host_1, host_2 = host_cache(redis_url, shared), host_cache(redis_url, shared)
    before = page_cache.generation()
    assert host_2.get(page_cache.GENERATION_KEY) == before

    page_cache.invalidate()  # what a publish does on host 1 (the default cache, also on Redis)

    assert host_1.get(page_cache.GENERATION_KEY) == host_2.get(page_cache.GENERATION_KEY) > before


def test_rate_limit_counts_are_shared_between_hosts(shared, redis_url):
    host_1, host_2 = host_cache(redis_url, shared), host_cache(redis_url, shared)
    host_1.add("api:rate:1:0", 0, timeout=60)
    host_2.add("api:rate:1:0", 0, timeout=60)
    assert [host_1.incr("api:rate:1:0"), host_2.incr("api:rate:1:0"), host_1.incr("api:rate:1:0")] == [1, 2, 3]


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "marketplace.cache.FaultTolerantRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }


def test_with_redis_down_every_operation_degrades_instead_of_raising(redis_down, caplog):
    import marketplace.cache

    marketplace.cache._last_warning = 0.0
    with caplog.at_level(logging.WARNING, logger="marketplace.cache"):
        assert cache.get("k") is None and cache.get("k", "d") == "d"
        cache.set("k", 1)
        assert cache.add("k", 1) is False
        assert cache.get_many(["a", "b"]) == {}
        assert cache.get_or_set("k", 5) == 5
        with pytest.raises(ValueError):
            cache.incr("k")
        cache.delete("k")
    assert "cache unavailable" in caplog.text and "serving uncached" in caplog.text


def test_with_redis_down_the_site_and_the_api_still_answer(redis_down, client, db, caplog):
    import marketplace.cache

    marketplace.cache._last_warning = 0.0
    with caplog.at_level(logging.WARNING, logger="marketplace.cache"):
        assert client.get("/").status_code == 200
        assert client.get("/healthz").json()["cache"] == "error: RuntimeError"
    assert "serving uncached" in caplog.text
