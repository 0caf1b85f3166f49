"""Configuration from the environment (prefix ``OKOT_``), with pydantic-settings.

The Temporal connection itself is configured the Temporal way, through
``temporalio.envconfig`` (``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``,
``TEMPORAL_PROFILE``, API key, TLS): see :func:`okot.connection.connect`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from okot.paths import PROJECT_ROOT as PROJECT_ROOT
from okot.paths import VAR_DIR as VAR_DIR


class LogFormat(StrEnum):
    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OKOT_", extra="ignore")

    task_queue: str = "okot"
    database_url: str = Field(default=f"sqlite:///{VAR_DIR / 'okot.db'}")
    log_format: LogFormat = LogFormat.AUTO
    log_level: str = "INFO"
    metrics_port: int | None = None
    build_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$",
        description="The worker's build id; default: package version + git commit.",
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_from: str = "okot-flow@ocmw.example"
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 10.0
    delivery: str = Field(
        default="smtp",
        pattern="^(smtp|relay|outbox)$",
        description="'smtp' sends each notification from the worker (to mail_dir instead "
        "when that is set); 'relay' queues it and waits for the mail relay (`okot outbox "
        "relay`, a process of its own: a killed worker never sends a mail twice); "
        "'outbox' only queues it in the database outbox.",
    )
    mail_dir: Path | None = Field(
        default=None, description="Write mails as .eml files here instead of using SMTP."
    )

    registration_gateway: str = Field(
        default="embedded", description="'embedded' (the project's database) or 'http'."
    )
    vdab_url: str = "http://127.0.0.1:8088"
    vdab_timeout_seconds: float = 10.0

    encryption: str = Field(
        default="on",
        pattern="^(on|off)$",
        description="'on': every payload is encrypted (needs OKOT_KEYRING); "
        "'off': plain payloads, for development only.",
    )
    keyring: str | None = Field(
        default=None,
        description="The keyring: path of a keyring file, or its JSON (`okot keyring init`).",
    )
    keystore_url: str | None = Field(
        default=None,
        description="Database of the data keys; default: OKOT_DATABASE_URL.",
    )
    key_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long a process keeps an unwrapped data key."
    )

    report_min_count: int = Field(5, ge=1, description="Counts below this show as '<N'.")

    web_url: str = Field(
        "http://127.0.0.1:8000", description="Public address of `okot web` (links in mails)."
    )
    web_secret: str | None = Field(
        None, description="Session signing key of `okot web` (required to serve it)."
    )
    web_session_hours: int = Field(8, ge=1, le=24 * 7, description="A login lasts this long.")
    oidc_issuer: str | None = Field(None, description="OpenID Connect issuer URL (login).")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    ui_origin: str | None = Field(
        None, pattern=r"^https?://[^/\s,]+(,https?://[^/\s,]+)*$",
        description="Origin of the Temporal Web UI (e.g. http://127.0.0.1:8233; several "
        "separated by commas): the only origins the codec server (/codec) answers CORS for.",
    )

    @property
    def ui_origins(self) -> tuple[str, ...]:
        return tuple(self.ui_origin.split(",")) if self.ui_origin else ()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
