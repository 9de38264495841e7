"""Pivot reports, exports and imports. Talks to ``RecordService``, never SQL on user tables.

    definition.py  report definitions: JSON Schema (schemas/report.schema.json), defaults
    pivot.py       run_pivot: RecordService.aggregate (SQL GROUP BY) -> pandas -> Pivot
                   (JSON for the designer, a DataFrame for exports); drill_filters
    service.py     ReportService: saved reports in cf_reports (owner, shared), run, export
    exports/       lists and reports to CSV, XLSX and JSON, streamed in constant memory
    imports/       CSV and XLSX into a table: detect, map, convert, dry run, commit, revert

Import rule: may import ``cardfile.metamodel`` and ``cardfile.formula``, pandas and
xlsxwriter; never Flask or ``cardfile.platform``.
"""
