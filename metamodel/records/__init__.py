"""The record service: the only code that reads or writes user tables.

    service.py   RecordService: create/get/update/delete/restore/list/bulk_create/history
    validate.py  input -> values through the field types, errors per field
    query.py     filters, quick search, sort (incl. a link's display value), pages
    counters.py  counter values, incremented inside the record's own transaction
    audit.py     field-level change log (who, when, old -> new)
    output.py    values -> JSON, with link and user display values resolved in batches
    aggregate.py GROUP BY over readable rows and fields (pivot reports); date parts in SQL
    stream.py    exports: rows in batches through a server-side cursor; lookups by key text
    batch.py     imports: many creates/updates all-or-nothing, journaled in cf_imports, revert
    preview.py   what a save would compute (defaults, formulas, rules, problems), written nowhere

Every public method takes the acting user first and checks access before anything else.
"""
