"""Migration scripts for the cf_ tables."""
