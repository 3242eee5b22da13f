from tests.areas import kalasin_coordinator, kalasin_group  # noqa: F401
