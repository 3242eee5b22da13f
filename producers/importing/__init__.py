"""The household import: how a coordinator brings target households (from TPMAP, the Basic Minimum
Needs survey, the welfare-card register or their own survey) into the programme.

A file goes through three steps, and nothing is written unless every row passes:

1. read (parsing.py): decode the file, map the header to our columns, parse the cells;
2. check (validation.py): each row on its own, within the importer's scope (ImportScope);
3. check against the file and the database, and write in one transaction (applying.py).

`applying.import_households()` is the entry point for the management command and the background
task; `uploads.start_import()` / `uploads.confirm_preview()` and `running.run_import()` (tasks.py)
are the admin's flow around a stored upload (models.HouseholdImport), with its forms, views and
urls here too. producers/models.py imports models.py so Django registers HouseholdImport with the
producers app.

This module imports nothing: producers/models.py imports the package while the app's models load.
"""
