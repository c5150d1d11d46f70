"""The token signing key: from the environment, or generated once into the
data directory with 0600 permissions (never from the YAML file)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from canhgac.config import Settings

KEY_FILE = "api-secret.key"
MIN_LENGTH = 32


class SecretKeyError(RuntimeError):
    """The configured signing key cannot be used."""


def signing_key(settings: Settings) -> str:
    """``CANHGAC_API__SECRET_KEY`` when set, else ``<data_dir>/api-secret.key``."""
    if settings.api.secret_key is not None:
        key = settings.api.secret_key.get_secret_value()
        if len(key) < MIN_LENGTH:
            raise SecretKeyError(f"api.secret_key must be at least {MIN_LENGTH} characters")
        return key
    return _key_file(Path(settings.data_dir) / KEY_FILE)


def _key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < MIN_LENGTH:
            raise SecretKeyError(f"{path} holds a key shorter than {MIN_LENGTH} characters") from None
        if path.stat().st_mode & 0o077:
            raise SecretKeyError(f"{path} must not be readable by group or others (chmod 600)") from None
        return key
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key
