"""orders.hooks: the moments higher apps act on, called as direct calls would be."""

import pytest

from orders import hooks


@pytest.fixture
def moment(monkeypatch):
    """A moment with no subscribers for the test's own (the registry is process-wide)."""
    monkeypatch.setitem(hooks._subscribers, hooks.ORDER_PAID, [])
    return hooks.ORDER_PAID


def test_subscribers_run_in_registration_order_and_their_results_come_back(moment):
    calls = []
    hooks.register(moment, lambda **kwargs: calls.append(("first", kwargs)) or 1)
    hooks.register(moment, lambda **kwargs: calls.append(("second", kwargs)) or 2)

    assert hooks.fire(moment, order="o") == [1, 2]
    assert calls == [("first", {"order": "o"}), ("second", {"order": "o"})]


def test_a_subscribers_exception_reaches_the_caller_and_stops_the_rest(moment):
    after = []

    def fails(**kwargs):
        raise RuntimeError("settlement failed")

    hooks.register(moment, fails)
    hooks.register(moment, lambda **kwargs: after.append(kwargs))

    with pytest.raises(RuntimeError, match="settlement failed"):
        hooks.fire(moment, order="o")
    assert after == []


def test_registering_a_function_twice_runs_it_once(moment):
    calls = []

    def subscriber(**kwargs):
        calls.append(kwargs)

    hooks.register(moment, subscriber)
    hooks.register(moment, subscriber)
    hooks.fire(moment, order="o")

    assert calls == [{"order": "o"}]


def test_unknown_moments_are_refused():
    with pytest.raises(ValueError):
        hooks.register("order_shipped_to_mars", lambda **kwargs: None)
    with pytest.raises(ValueError):
        hooks.fire("order_shipped_to_mars")
