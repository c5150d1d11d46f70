"""Configuration: one YAML file, overridden by ``CANHGAC_*`` environment variables,
validated with pydantic.

Precedence (highest first): environment, the YAML file named by
``CANHGAC_CONFIG`` (or ``./canhgac.yaml`` when present), defaults.

Environment variables:

=========================  ====================================
``CANHGAC_CONFIG``         path of the YAML file
``CANHGAC_DATA_DIR``       ``data_dir`` (embedded store, spool, registries)
``CANHGAC_STORE``          ``store.backend``: sqlite | elasticsearch | opensearch
``CANHGAC_STORE_URL``      ``store.url`` of the engine
``CANHGAC_STORE_USERNAME`` ``store.username``
``CANHGAC_STORE_PASSWORD`` ``store.password`` (secrets only from the environment)
``CANHGAC_STORE_API_KEY``  ``store.api_key``
``CANHGAC_STORE_VERIFY_CERTS`` / ``CANHGAC_STORE_CA_CERTS`` TLS checks
``CANHGAC_STORE_NAMESPACE`` data-stream namespace / index infix
``CANHGAC_SQLITE_PATH``    ``store.sqlite_path``
``CANHGAC_<SECTION>__<KEY>`` any other key, e.g. ``CANHGAC_LOG__LEVEL``
=========================  ====================================

A wrong or missing value is one ``ConfigError`` whose message names the key
and where the value came from.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from canhgac.settings.api import ApiSettings
from canhgac.settings.collectors import CollectorsSettings
from canhgac.settings.crawlers import CrawlersSettings
from canhgac.settings.detection import DetectionSettings
from canhgac.settings.nlp import NlpSettings
from canhgac.settings.ui import UiSettings
from store.schema import set_path

ENV_PREFIX = "CANHGAC_"
DEFAULT_FILE = "canhgac.yaml"

# Environment variable → dotted config key.
ENV_ALIASES: dict[str, str] = {
    "CANHGAC_DATA_DIR": "data_dir",
    "CANHGAC_STORE": "store.backend",
    "CANHGAC_STORE_URL": "store.url",
    "CANHGAC_STORE_USERNAME": "store.username",
    "CANHGAC_STORE_PASSWORD": "store.password",
    "CANHGAC_STORE_API_KEY": "store.api_key",
    "CANHGAC_STORE_VERIFY_CERTS": "store.verify_certs",
    "CANHGAC_STORE_CA_CERTS": "store.ca_certs",
    "CANHGAC_STORE_NAMESPACE": "store.namespace",
    "CANHGAC_SQLITE_PATH": "store.sqlite_path",
}
SECRET_KEYS = {"store.password", "store.api_key"}
NOT_KEYS = {"CANHGAC_CONFIG"}


class ConfigError(Exception):
    """The configuration cannot be used; the message says which key and why."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreSettings(_Section):
    backend: Literal["sqlite", "elasticsearch", "opensearch"] = "sqlite"
    sqlite_path: Path | None = Field(
        default=None, description="SQLite file; default <data_dir>/canhgac.db")
    url: str | None = Field(default=None, description="engine URL, e.g. https://127.0.0.1:9200")
    username: str | None = None
    password: SecretStr | None = None
    api_key: SecretStr | None = None
    verify_certs: bool = True
    ca_certs: Path | None = None
    namespace: str = Field(default="default", pattern=r"^[a-z0-9_]{1,64}$")
    timeout: float = Field(default=30.0, gt=0)
    busy_timeout: float = Field(default=30.0, gt=0, description="SQLite lock wait, seconds")

    @model_validator(mode="after")
    def _engine_needs_url(self) -> StoreSettings:
        if self.backend != "sqlite" and not self.url:
            raise ValueError(f"store.url is required when store.backend is {self.backend}")
        if self.url and not re.match(r"^https?://[^\s/]+", self.url):
            raise ValueError(f"store.url must be an http(s) URL, got {self.url!r}")
        return self


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_output: bool | None = Field(default=None, description="None: JSON when not a terminal")


class RetentionSettings(_Section):
    """How long each collection keeps documents, in days (0 keeps forever).
    Events go first; alerts and incidents are kept longer for investigations
    and reporting."""

    events_days: int = Field(default=90, ge=0)
    alerts_days: int = Field(default=365, ge=0)
    incidents_days: int = Field(default=730, ge=0)
    articles_days: int = Field(default=365, ge=0)
    dead_letters_days: int = Field(default=30, ge=0)
    audit_days: int = Field(default=730, ge=0)


class Settings(_Section):
    data_dir: Path = Path("data")
    store: StoreSettings = StoreSettings()
    log: LogSettings = LogSettings()
    retention: RetentionSettings = RetentionSettings()
    collectors: CollectorsSettings = CollectorsSettings()
    detection: DetectionSettings = DetectionSettings()
    crawlers: CrawlersSettings = CrawlersSettings()
    nlp: NlpSettings = NlpSettings()
    api: ApiSettings = ApiSettings()
    ui: UiSettings = UiSettings()

    @property
    def sqlite_path(self) -> Path:
        return self.store.sqlite_path or self.data_dir / "canhgac.db"

    def redacted(self) -> dict[str, Any]:
        """The settings as plain data with secrets masked (for ``config show``)."""
        data = self.model_dump(mode="json")
        for key in SECRET_KEYS:
            section, name = key.split(".")
            if data[section].get(name):
                data[section][name] = "********"
        data["store"]["sqlite_path"] = str(self.sqlite_path)
        return data


def _env_overrides(environ: dict[str, str]) -> dict[str, str]:
    """``{dotted key: env var name}`` for every CANHGAC_ variable set."""
    found: dict[str, str] = {}
    for name in environ:
        if not name.startswith(ENV_PREFIX) or name in NOT_KEYS or name.startswith("CANHGAC_TEST_"):
            continue
        if name in ENV_ALIASES:
            found[ENV_ALIASES[name]] = name
        elif "__" in name:
            found[name[len(ENV_PREFIX):].lower().replace("__", ".")] = name
    return found


def load(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read, merge and validate the configuration."""
    env = dict(os.environ if environ is None else environ)
    origin: dict[str, str] = {}
    file = path or env.get("CANHGAC_CONFIG")
    data: dict[str, Any] = {}
    if file:
        file = Path(file)
        if not file.is_file():
            raise ConfigError(f"config file {file} (from CANHGAC_CONFIG) does not exist")
    elif Path(DEFAULT_FILE).is_file():
        file = Path(DEFAULT_FILE)
    if file:
        try:
            loaded = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {file} is not valid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {file} must hold a mapping at the top level")
        data = loaded or {}
        for key in _flatten_keys(data):
            origin[key] = f"in {file}"
    for key, var in _env_overrides(env).items():
        set_path(data, key, env[var])
        origin[key] = f"from {var}"
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, origin)) from None


def _flatten_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        keys.append(key)
        if isinstance(v, dict):
            keys += _flatten_keys(v, key + ".")
    return keys


def _explain(exc: ValidationError, origin: dict[str, str]) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        where = origin.get(key)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
        if key and key not in msg:
            lines.append(f"{key}: {msg}" + (f" ({where})" if where else ""))
        else:
            lines.append(msg)
    return "invalid configuration: " + "; ".join(lines)
