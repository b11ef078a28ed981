"""The views: one per question a user asks."""
