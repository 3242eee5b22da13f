"""Columns other apps add to the household import, so data gathered in the field on paper or in
spreadsheets comes in whole, in the same all-or-nothing run (the referrals app adds the needs
assessment's columns). An extension names its columns (ours and the Thai or English headers
accepted), checks a row's cells, and writes what it parsed once the households are written, inside
the import's transaction."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

# check(get, fail, today) -> the parsed value, or None when the row says nothing for this
# extension. get(column) is the raw cell (None when the file lacks the column); fail(column,
# message) reports an error in that column.
Check = Callable[[Callable[[str], object], Callable[[str, str], None], datetime.date], object]
# write([(household, parsed value)], actor) -> how many records were written.
Write = Callable[[list, object], int]


@dataclass(frozen=True)
class ImportExtension:
    name: str
    columns: dict[str, tuple[str, ...]]
    check: Check
    write: Write


_extensions: dict[str, ImportExtension] = {}


def register(extension: ImportExtension) -> None:
    """Called from the owning app's AppConfig.ready()."""
    _extensions[extension.name] = extension


def extensions() -> list[ImportExtension]:
    return list(_extensions.values())
