"""Imports from CSV and XLSX into a table.

    reader.py   open_source: detect encoding (UTF-8 with or without BOM, Windows-1251 and
                others via charset-normalizer), delimiter (, ; tab) and header row; read
                rows in constant memory (csv module, openpyxl read-only)
    convert.py  column mapping (auto-matched by label or API name) and cell conversion
                per field type (numbers with separators, dates, booleans, multi-choices)
    run.py      run_import: convert and resolve links and keys, then
                RecordService.write_many (dry run, all or nothing, journaled for revert)

Modes: create, update (by a key field), upsert. Revert: ``RecordService.revert_import``.
"""

from .convert import ImportMappingInvalid, auto_mapping, normalize
from .reader import ImportFileInvalid, Source, detect_delimiter, detect_encoding, detect_header, open_source
from .run import MODES, ImportOptions, run_import

__all__ = ["ImportFileInvalid", "ImportMappingInvalid", "ImportOptions", "MODES", "Source", "auto_mapping",
           "detect_delimiter", "detect_encoding", "detect_header", "normalize", "open_source", "run_import"]
