"""Documents: print templates to HTML, PDF and Word, through the record service.

    store.py       TemplateService: templates as metadata (cf_templates), versions, trash,
                   audit, who may use them; package install
    sandbox.py     the Jinja2 sandbox with time, output and value limits; errors with places
    context.py     the read-only view a template sees (RecordView, Value, Hidden), read as
                   the acting user through RecordService
    formatting.py  values as text in the template's language (Babel)
    helpers.py     words(), format_money/number/date(), qr(), barcode(), image()
    render.py      Documents: one record to HTML / PDF (WeasyPrint) / DOCX (docxtpl); preview
    batch.py       many records into one PDF / HTML or a ZIP of DOCX, chunk by chunk, with
                   progress; PrintJobs: batches on a worker
    copies.py      printed copies and sent documents kept with the record (its history)
    sending.py     email a document (SMTP), written on the record's history
    packages.py    a configuration package's templates/ installed
    docx_check.py  an uploaded DOCX: a real DOCX, no zip bomb, placeholders that parse
    variables.py   the editor's variables panel and the unknown-names check
    company.py     the company's details printed on documents

Import rule: may import ``cardfile.metamodel`` and ``cardfile.formula``; never Flask or
``cardfile.platform``. Records are read only through ``RecordService``.
"""

from .render import FORMATS, MEDIA_TYPES, Documents, Output
from .sandbox import Limits
from .store import TemplateNotFound, TemplateService

__all__ = ["FORMATS", "MEDIA_TYPES", "Documents", "Limits", "Output", "TemplateNotFound", "TemplateService"]
