"""Plain types and rules of shipyard: no I/O, no frameworks."""
