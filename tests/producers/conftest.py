from tests.areas import (  # noqa: F401
    kalasin_coordinator,
    kalasin_group,
    kalasin_household,
    kalasin_manager,
    roiet_coordinator,
    roiet_group,
    roiet_household,
    roiet_manager,
)
