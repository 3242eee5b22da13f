# The buyer portal's tests assert on English messages; the company fixtures are in tests/conftest.py.
from tests.english import _english, client  # noqa: F401
