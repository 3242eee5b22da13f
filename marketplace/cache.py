"""The shared cache (Redis) that several app servers use for the page cache, its generation
number, and the API's and allauth's rate limits; and what happens when Redis is down.

`FaultTolerantRedisCache` is Django's RedisCache whose operations never raise on a connection
error or timeout: a read is a miss, a write is dropped, `add` says it added nothing and `incr`
says the key is missing (so the API's rate limit counts 1 and lets the request through: it fails
open rather than refusing every company's ERP while Redis is away). The site keeps serving,
uncached, and logs a warning at most every LOG_EVERY seconds per process. Timeouts are short, so
a dead Redis costs each request well under a second, not a hung worker.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

LOG_EVERY = 30.0
DOWN = (RedisConnectionError, RedisTimeoutError, OSError)
_last_warning = 0.0


def _warn(operation: str, error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= LOG_EVERY:
        _last_warning = now
        logger.warning("cache unavailable (%s: %s): serving uncached", operation, error)


def _tolerant(name: str, fallback):
    method = getattr(RedisCache, name)

    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except DOWN as error:
            _warn(name, error)
            return fallback(*args, **kwargs)

    wrapper.__name__ = name
    wrapper.__doc__ = method.__doc__
    return wrapper


def _default(key=None, default=None, *args, **kwargs):
    return default


def _missing_key(*args, **kwargs):
    raise ValueError("cache unavailable")


class FaultTolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 0.25)
        options.setdefault("socket_timeout", 0.5)
        options.setdefault("retry_on_timeout", False)
        super().__init__(server, params)

    get = _tolerant("get", _default)
    get_many = _tolerant("get_many", lambda *a, **k: {})
    has_key = _tolerant("has_key", lambda *a, **k: False)
    set = _tolerant("set", lambda *a, **k: None)
    set_many = _tolerant("set_many", lambda *a, **k: [])
    add = _tolerant("add", lambda *a, **k: False)
    touch = _tolerant("touch", lambda *a, **k: False)
    delete = _tolerant("delete", lambda *a, **k: False)
    delete_many = _tolerant("delete_many", lambda *a, **k: None)
    incr = _tolerant("incr", _missing_key)
    decr = _tolerant("decr", _missing_key)
    clear = _tolerant("clear", lambda *a, **k: None)

    def get_or_set(self, key, default, timeout=None, version=None):
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            if value is not None:
                self.add(key, value, timeout=timeout, version=version)
        return value
