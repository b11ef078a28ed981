"""The ledger's edges: HTTP API, settings, authentication and the command line."""
