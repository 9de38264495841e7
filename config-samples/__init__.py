"""Sample configurations shipped with Cardfile (``customer-accounting``), installed by
``cardfile init --sample NAME``; each folder is a configuration package."""
