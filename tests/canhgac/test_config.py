from __future__ import annotations

from pathlib import Path

import pytest

from canhgac.config import ConfigError, load


def test_defaults_are_the_embedded_store(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load(environ={})
    assert cfg.store.backend == "sqlite"
    assert cfg.data_dir == Path("data")
    assert cfg.sqlite_path == Path("data/canhgac.db")


def test_file_then_environment(tmp_path: Path):
    f = tmp_path / "c.yaml"
    f.write_text("data_dir: /srv/canhgac\nstore:\n  backend: opensearch\n"
                 "  url: http://127.0.0.1:9200\n  namespace: city\n", encoding="utf-8")
    cfg = load(environ={"CANHGAC_CONFIG": str(f)})
    assert cfg.store.backend == "opensearch" and cfg.store.namespace == "city"
    cfg = load(environ={"CANHGAC_CONFIG": str(f), "CANHGAC_STORE": "sqlite",
                        "CANHGAC_DATA_DIR": str(tmp_path), "CANHGAC_STORE_PASSWORD": "s3cret",
                        "CANHGAC_LOG__LEVEL": "DEBUG"})
    assert cfg.store.backend == "sqlite"
    assert cfg.sqlite_path == tmp_path / "canhgac.db"
    assert cfg.log.level == "DEBUG"
    assert cfg.store.password.get_secret_value() == "s3cret"
    assert cfg.redacted()["store"]["password"] == "********"


@pytest.mark.parametrize(("env", "needle"), [
    ({"CANHGAC_STORE": "mysql"}, "store.backend"),
    ({"CANHGAC_STORE": "opensearch"}, "store.url is required"),
    ({"CANHGAC_STORE": "opensearch", "CANHGAC_STORE_URL": "ftp://x"}, "store.url must be"),
    ({"CANHGAC_STORE_VERIFY_CERTS": "maybe"}, "store.verify_certs"),
    ({"CANHGAC_STORE__BOGUS": "1"}, "store.bogus: unknown setting (from CANHGAC_STORE__BOGUS)"),
    ({"CANHGAC_CONFIG": "/nonexistent/c.yaml"}, "CANHGAC_CONFIG"),
])
def test_bad_values_name_the_key(env, needle, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load(environ=env)
    assert needle in str(info.value)


def test_bad_yaml_names_the_file(tmp_path: Path):
    f = tmp_path / "c.yaml"
    f.write_text("store: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load(environ={"CANHGAC_CONFIG": str(f)})
    f.write_text("store:\n  backend: cassandra\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"store\.backend.*in .*c\.yaml"):
        load(environ={"CANHGAC_CONFIG": str(f)})
