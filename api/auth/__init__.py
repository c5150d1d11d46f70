"""Authentication and authorisation: users, sessions, API keys, roles."""
