from __future__ import annotations

import pytest

from c2c_safety.core.config import Config, ConfigError


def test_production_refuses_to_start_without_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="C2C_SECRET_KEY"):
        Config.from_env({"C2C_INSTANCE_PATH": str(tmp_path)})


def test_production_refuses_to_start_without_data_key(tmp_path):
    with pytest.raises(ConfigError, match="C2C_DATA_KEY"):
        Config.from_env({"C2C_SECRET_KEY": "x" * 40, "C2C_INSTANCE_PATH": str(tmp_path)})


def test_demo_generates_and_keeps_secrets(tmp_path):
    a = Config.from_env({"C2C_ENV": "demo", "C2C_INSTANCE_PATH": str(tmp_path)})
    b = Config.from_env({"C2C_ENV": "demo", "C2C_INSTANCE_PATH": str(tmp_path)})
    assert a.secret_key and a.secret_key == b.secret_key
    assert a.data_keys == b.data_keys
    assert a.database_url == f"sqlite:///{tmp_path / 'c2c.sqlite3'}"
    assert a.bcrypt_rounds == 12


def test_low_bcrypt_cost_only_in_tests(tmp_path):
    with pytest.raises(ConfigError):
        Config.from_env({"C2C_ENV": "demo", "C2C_BCRYPT_ROUNDS": "4", "C2C_INSTANCE_PATH": str(tmp_path)})


def test_unknown_env_is_refused(tmp_path):
    with pytest.raises(ConfigError):
        Config.from_env({"C2C_ENV": "staging", "C2C_INSTANCE_PATH": str(tmp_path)})


def test_session_cookie_is_hardened(tmp_path):
    cfg = Config.from_env({"C2C_ENV": "demo", "C2C_HTTPS": "1", "C2C_INSTANCE_PATH": str(tmp_path)})
    m = cfg.flask_mapping()
    assert m["SESSION_COOKIE_HTTPONLY"] and m["SESSION_COOKIE_SECURE"]
    assert m["SESSION_COOKIE_SAMESITE"] == "Strict"
