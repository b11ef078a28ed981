"""The portfolio board's domain: aggregates, events, rules and the application service."""
