"""The `api` section of the configuration.

Secrets never live in the YAML file: the token signing key comes from
``CANHGAC_API__SECRET_KEY`` or, when that is unset, is generated once into
``<data_dir>/api-secret.key`` with 0600 permissions (see ``api.secrets``).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator

from canhgac.settings import Section


class LoginLimits(Section):
    """Failed-login budget before a 429 (sliding window, per process)."""

    per_user: int = Field(default=5, ge=1, description="failures per username per window")
    per_address: int = Field(default=20, ge=1, description="failures per client address per window")
    window_seconds: int = Field(default=300, ge=1)


class ApiSettings(Section):
    """Settings of the api room: serving, tokens, limits, CORS."""

    host: str = Field(default="127.0.0.1", description="bind address")
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    tls_cert: Path | None = Field(default=None, description="PEM certificate; enables HTTPS")
    tls_key: Path | None = Field(default=None, description="PEM private key for tls_cert")
    secret_key: SecretStr | None = Field(
        default=None, description="token signing key; only from CANHGAC_API__SECRET_KEY")
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=7, ge=1, le=365)
    login: LoginLimits = LoginLimits()
    cors_origins: list[str] = Field(default_factory=list, description="none by default: closed")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="any request body")
    max_bulk_bytes: int = Field(default=16 * 1_048_576, ge=1024,
                                description="NDJSON ingest and _bulk bodies")
    max_page_size: int = Field(default=500, ge=1, le=10_000)
    graceful_timeout: int = Field(default=20, ge=1, description="seconds to finish requests")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, v: object) -> object:
        """From the environment: a JSON list or comma-separated origins."""
        if isinstance(v, str):
            text = v.strip()
            if text.startswith("["):
                return json.loads(text)
            return [o.strip() for o in text.split(",") if o.strip()]
        return v

    @model_validator(mode="after")
    def _tls_pair(self) -> ApiSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("api.tls_cert and api.tls_key must be given together")
        return self
