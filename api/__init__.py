"""The FastAPI service, the only door for people and outside tools (issue #7).

Map:

- ``app.py``: ``create_app`` (lifespan, middleware, error handlers, routes from the table)
- ``routes/__init__.py``: the route table (method, path, handler, roles) in one place
- ``routes/*.py``: handlers per area (events, ingest, alerts, incidents, rules,
  articles, sources, summary, audit_log, users, auth, health)
- ``auth/``: roles, passwords (argon2id), tokens (JWT), accounts (users,
  sessions, API keys), login rate limits, the signing key, ``Require``
- ``errors.py``: the error tree and the one JSON error shape
- ``middleware.py``: body limits and Prometheus metrics (pure ASGI)
- ``cli.py``: ``canhgac serve`` and ``canhgac users``; ``asgi.py``: uvicorn's entry
"""
