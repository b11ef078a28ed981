"""The store: SQL helpers and the recorders."""
