"""Read models built from the event log: one projection per question a user asks."""
