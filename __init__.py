"""Cardfile: a self-hosted low-code records platform.

The distribution maps the repository's top-level folders to subpackages:

    formula/    cardfile.formula    the expression language (pure: no database, no Flask)
    metamodel/  cardfile.metamodel  metadata, field types, storage, the record service
    reports/    cardfile.reports    pivots, exports, imports, documents
    platform/   cardfile.platform   Flask app, web UI, REST API, CLI (namespace package)
    plugins/    cardfile.plugins    the plugin API and built-in optional plugins

Imports point one way: formula <- metamodel <- reports <- platform.
"""

__version__ = "0.1.0"
