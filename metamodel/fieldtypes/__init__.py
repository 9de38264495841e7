"""Field types: what each type stores, how input is parsed and checked, and how values
are written out (``base``), the registry that maps a type name to its class
(``registry``), the built-in types (``builtin``) and the conversions a retype runs
(``conversions``)."""
