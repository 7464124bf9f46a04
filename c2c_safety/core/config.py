"""Configuration, read once from `C2C_*` environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigError(RuntimeError):
    """The desk refuses to start with a configuration that would be unsafe."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(instance: Path, name: str, factory: Any) -> str:
    """Demo/test only: a secret generated once and kept under instance/ so restarts agree."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / name
    if path.exists():
        return path.read_text().strip()
    value = str(factory())
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


@dataclass
class Config:
    env: str = "production"  # production | demo | test
    secret_key: str = ""
    data_keys: str = ""  # "kid:base64key[,kid:base64key...]"; the first is the one that seals
    database_url: str = ""
    redis_url: str = ""  # empty: start an embedded server under instance/
    instance_path: Path = field(default_factory=lambda: PROJECT_ROOT / "instance")
    https: bool = False
    classifier: str = "default"
    webhook_url: str = ""
    webhook_secret: str = ""
    audit_key: str = ""
    smtp_url: str = ""  # smtp://host:port, smtps://… or smtp+starttls://…; empty: e-mails wait, kept
    smtp_from: str = "c2c-safety@localhost"
    public_url: str = "http://127.0.0.1:5000"  # the desk's address, for links in e-mails
    audit_signing_key: str = ""  # base64 Ed25519 private key (32 bytes) that signs checkpoints
    audit_witness: Path | None = None  # append-only file the checkpoints are also written to
    bcrypt_rounds: int = 12
    # Sign-in throttle (c2c_safety.accounts.throttle): free failures per bucket, then delays
    # doubling from 1 s up to this cap; and failed sign-in steps per client address per window.
    login_free_failures: int = 5
    login_max_delay_seconds: int = 900
    client_max_failures: int = 20
    client_window_seconds: int = 600
    # Header the trusted proxy sets to the client address on /login only (docs/deploy.md);
    # empty: the socket's peer address.
    client_address_header: str = ""
    # The platform's media host (scheme://host[:port]): the only place the desk fetches a flag's
    # images from (docs/media.md). Empty: media addresses stay links the desk never opens.
    media_host: str = ""
    media_fetch_timeout: float = 10.0
    max_json_bytes: int = 1_000_000
    max_upload_bytes: int = 10 * 1024 * 1024
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if environ is None else environ)
        mode = env.get("C2C_ENV", "production").strip().lower()
        if mode not in {"production", "demo", "test"}:
            raise ConfigError(f"C2C_ENV must be production, demo or test, not {mode!r}")
        instance = Path(env.get("C2C_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()
        cfg = cls(env=mode, instance_path=instance)
        cfg.secret_key = env.get("C2C_SECRET_KEY", "")
        cfg.data_keys = env.get("C2C_DATA_KEY", "")
        if mode == "production":
            if not cfg.secret_key:
                raise ConfigError("C2C_SECRET_KEY is not set; the desk will not start without it")
            if not cfg.data_keys:
                raise ConfigError("C2C_DATA_KEY is not set; the desk will not start without it")
            if not env.get("C2C_AUDIT_SIGNING_KEY"):
                raise ConfigError("C2C_AUDIT_SIGNING_KEY is not set; the desk will not start without it "
                                  "(`flask --app app audit keygen` makes one)")
        else:
            cfg.secret_key = cfg.secret_key or _instance_secret(
                instance, "secret_key", lambda: secrets.token_urlsafe(48)
            )
            cfg.data_keys = cfg.data_keys or _instance_secret(
                instance, "data_key", _new_data_key
            )
        cfg.database_url = env.get("C2C_DATABASE_URL") or f"sqlite:///{instance / 'c2c.sqlite3'}"
        cfg.redis_url = env.get("C2C_REDIS_URL", "")
        cfg.https = _bool(env.get("C2C_HTTPS"))
        cfg.classifier = env.get("C2C_CLASSIFIER", "default") or "default"
        cfg.webhook_url = env.get("C2C_WEBHOOK_URL", "")
        cfg.webhook_secret = env.get("C2C_WEBHOOK_SECRET", "")
        cfg.audit_key = env.get("C2C_AUDIT_KEY", "")
        cfg.smtp_url = env.get("C2C_SMTP_URL", "")
        cfg.smtp_from = env.get("C2C_SMTP_FROM", "") or cfg.smtp_from
        cfg.public_url = (env.get("C2C_PUBLIC_URL", "") or cfg.public_url).rstrip("/")
        cfg.client_address_header = env.get("C2C_CLIENT_ADDRESS_HEADER", "").strip()
        cfg.media_host = env.get("C2C_MEDIA_HOST", "").strip().rstrip("/")
        if mode == "production" and cfg.media_host and not cfg.media_host.startswith("https://"):
            raise ConfigError("C2C_MEDIA_HOST must be an https:// address in production")
        cfg.media_fetch_timeout = float(env.get("C2C_MEDIA_FETCH_TIMEOUT", "10") or 10)
        cfg.audit_signing_key = env.get("C2C_AUDIT_SIGNING_KEY", "") or (
            "" if mode == "production" else _instance_secret(instance, "audit_signing_key", _new_signing_key))
        witness = env.get("C2C_AUDIT_WITNESS", "")
        cfg.audit_witness = Path(witness).resolve() if witness else instance / "audit-witness.jsonl"
        cfg.testing = mode == "test"
        # Tests hash hundreds of passwords; production and demo keep the cost of 12.
        cfg.bcrypt_rounds = int(env.get("C2C_BCRYPT_ROUNDS", "12"))
        if cfg.bcrypt_rounds < 12 and mode != "test":
            raise ConfigError("C2C_BCRYPT_ROUNDS below 12 is only allowed with C2C_ENV=test")
        return cfg

    def flask_mapping(self) -> dict[str, Any]:
        return {
            "SECRET_KEY": self.secret_key,
            "TESTING": self.testing,
            "MAX_CONTENT_LENGTH": max(self.max_upload_bytes, self.max_json_bytes) + 64 * 1024,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Strict",
            "SESSION_COOKIE_SECURE": self.https,
            "SESSION_COOKIE_NAME": "c2c_session",
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Strict",
            "REMEMBER_COOKIE_SECURE": self.https,
            "WTF_CSRF_TIME_LIMIT": 8 * 3600,
            # Off: the strict check demands a same-origin Referer, which Referrer-Policy:
            # no-referrer (every page) never lets a browser send, so over HTTPS no form would
            # pass. Cross-site posts are still stopped by the CSRF token and SameSite=Strict.
            "WTF_CSRF_SSL_STRICT": False,
            "PREFERRED_URL_SCHEME": "https" if self.https else "http",
            "C2C": self,
        }


def _new_signing_key() -> str:
    import base64

    # An Ed25519 private key is 32 random bytes (RFC 8032), so no library is needed here.
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _new_data_key() -> str:
    import base64

    return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
