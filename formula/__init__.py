"""The expression language (placeholder; see docs/formulas.md)."""
