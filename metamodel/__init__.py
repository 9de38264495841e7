"""Cardfile's metamodel: metadata, field types, storage, the record service, access, users,
files and configuration packages (see README.md in this folder). It may import
``cardfile.formula``; never reports, platform, plugins, Flask or pandas."""
