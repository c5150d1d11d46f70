"""The FastAPI service, the only door for people (issue #7)."""
