"""Sample configurations shipped with Cardfile (``customer-accounting``, ``retail-shop``), installed by
``cardfile init --sample NAME``; each folder is a configuration package."""
