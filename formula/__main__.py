"""``python -m cardfile.formula`` prints docs/formulas.md (same as ``-m cardfile.formula.docs``)."""

from .docs import main

main()
