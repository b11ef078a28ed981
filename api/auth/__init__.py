"""Who is asking: API tokens, page sessions, the head-signing key."""
