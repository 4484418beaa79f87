"""Typed service settings read from environment variables.

Every service declares a frozen dataclass deriving from `ServiceSettings`; each field names
its environment variable in its metadata. Defaults work against the local Postgres and
RabbitMQ, so that a developer can start a service with no configuration at all.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from typing import Any, Self

from marshmallow import ValidationError, fields
from marshmallow.validate import OneOf, Range, Regexp, Validator


class SettingsError(Exception):
    """A configuration value is missing or invalid; the message names the variable."""


def setting(env: str, default: Any, *, validate: Validator | None = None, help: str = "") -> Any:
    """Declare a settings field read from the environment variable `env`."""
    return dataclasses.field(
        default=default, metadata={"env": env, "validate": validate, "help": help}
    )


SLUG = Regexp(r"^[a-z][a-z0-9_]{0,62}$", error="must be a lower-case identifier")


@dataclasses.dataclass(frozen=True)
class ServiceSettings:
    """Settings common to every service."""

    service: str = setting("SERVICE_NAME", "service", validate=SLUG)
    environment: str = setting(
        "APP_ENV", "development", validate=OneOf(["development", "test", "production"])
    )
    log_format: str = setting("LOG_FORMAT", "auto", validate=OneOf(["auto", "json", "console"]))
    log_level: str = setting(
        "LOG_LEVEL", "info", validate=OneOf(["debug", "info", "warning", "error"])
    )
    http_host: str = setting("HTTP_HOST", "127.0.0.1")
    http_port: int = setting("HTTP_PORT", 8080, validate=Range(1, 65535))
    max_body_bytes: int = setting("HTTP_MAX_BODY_BYTES", 1_048_576, validate=Range(1024, None))
    max_inflight_requests: int = setting("HTTP_MAX_INFLIGHT", 256, validate=Range(1, None))
    shutdown_timeout: float = setting("SHUTDOWN_TIMEOUT_SECONDS", 8.0, validate=Range(0, 60))
    metrics_token: str = setting(
        "METRICS_TOKEN",
        "",
        help="Bearer token Prometheus must send to read /metrics; empty: /metrics answers "
        "only connections from the same machine (loopback)",
    )
    # How soon every process of a service refuses the tokens of an account identity disabled
    # (the process that receives the event refuses them at once).
    disabled_accounts_refresh_seconds: float = setting(
        "DISABLED_ACCOUNTS_REFRESH_SECONDS", 5.0, validate=Range(0.1, 3600)
    )

    database_url: str = setting("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portail")
    db_schema: str = setting("DB_SCHEMA", "", validate=Regexp(r"^([a-z][a-z0-9_]{0,62})?$"))
    db_role: str = setting("DB_ROLE", "", validate=Regexp(r"^([a-z][a-z0-9_]{0,62})?$"))
    db_pool_min: int = setting("DB_POOL_MIN", 1, validate=Range(0, None))
    db_pool_max: int = setting("DB_POOL_MAX", 10, validate=Range(1, None))
    db_acquire_timeout: float = setting("DB_ACQUIRE_TIMEOUT_SECONDS", 5.0, validate=Range(0, None))
    migrate_on_start: bool = setting("MIGRATE_ON_START", True)
    # false: this process only writes its outbox, and `python -m <service> relay` (one or
    # more, anywhere) publishes it, so the HTTP processes and the relay scale apart.
    outbox_relay_in_process: bool = setting("OUTBOX_RELAY_IN_PROCESS", True)

    amqp_url: str = setting("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    bus_namespace: str = setting(
        "BUS_NAMESPACE", "portail", validate=Regexp(r"^[a-z0-9][a-z0-9_.-]*$")
    )
    consumer_prefetch: int = setting("CONSUMER_PREFETCH", 16, validate=Range(1, 1000))
    consumer_max_attempts: int = setting("CONSUMER_MAX_ATTEMPTS", 5, validate=Range(1, 100))
    retry_delays_ms: tuple[int, ...] = setting("CONSUMER_RETRY_DELAYS_MS", (1000, 5000, 30000))
    delivery_limit: int = setting("CONSUMER_DELIVERY_LIMIT", 10, validate=Range(1, 1000))
    outbox_batch_size: int = setting("OUTBOX_BATCH_SIZE", 200, validate=Range(1, 10000))
    outbox_sweep_seconds: float = setting("OUTBOX_SWEEP_SECONDS", 5.0, validate=Range(0.05, None))
    outbox_retention_hours: float = setting("OUTBOX_RETENTION_HOURS", 72.0, validate=Range(0, None))
    # Events published while no queue was bound for them are kept this long (and within
    # this size) in the archive stream, for services deployed later to replay.
    event_archive_max_age: str = setting(
        "EVENT_ARCHIVE_MAX_AGE", "30D", validate=Regexp(r"^[1-9][0-9]*[YMDhms]$")
    )
    event_archive_max_bytes: int = setting(
        "EVENT_ARCHIVE_MAX_BYTES", 1_000_000_000, validate=Range(1_000_000, None)
    )
    broker_reconnect_max_seconds: float = setting("BROKER_RECONNECT_MAX_SECONDS", 5.0)

    jwks_url: str = setting("JWKS_URL", "http://127.0.0.1:8081/.well-known/jwks.json")
    jwt_issuer: str = setting("JWT_ISSUER", "portail-famille-identity")
    jwt_audience: str = setting("JWT_AUDIENCE", "portail-famille")

    @property
    def schema(self) -> str:
        """The Postgres schema this service owns (defaults to the service name)."""
        return self.db_schema or self.service

    @property
    def role(self) -> str | None:
        """The Postgres role the service's SQL runs as (None: the connecting user)."""
        return self.db_role or None

    @property
    def json_logs(self) -> bool:
        if self.log_format == "auto":
            return self.environment == "production"
        return self.log_format == "json"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Read every field from the environment; `overrides` win (tests, commands)."""
        source = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            if field.name in overrides:
                continue
            name = field.metadata.get("env")
            if name is None:
                continue
            values[field.name] = _read(name, hints[field.name], field, source)
        return cls(**values, **overrides)

    def to_env(self) -> dict[str, str]:
        """The environment that reproduces these settings (to start a service process)."""
        env: dict[str, str] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, tuple):
                text = ",".join(str(v) for v in value)
            elif isinstance(value, bool):
                text = "true" if value else "false"
            else:
                text = str(value)
            env[field.metadata["env"]] = text
        return env

    def describe(self) -> dict[str, str]:
        """Variable name → help text, for `--help` style listings."""
        return {f.metadata["env"]: f.metadata.get("help", "") for f in dataclasses.fields(self)}


def _read(name: str, kind: Any, field: dataclasses.Field[Any], source: Mapping[str, str]) -> Any:
    raw = source.get(name)
    if raw is None:
        return field.default
    validate = field.metadata.get("validate")
    parser: fields.Field[Any]
    value: Any = raw
    if kind is int:
        parser = fields.Integer(strict=False, validate=validate)
    elif kind is float:
        parser = fields.Float(validate=validate)
    elif kind is bool:
        parser = fields.Boolean(validate=validate)
    elif kind is str:
        parser = fields.String(validate=validate)
    elif typing.get_origin(kind) is tuple:
        (item,) = {a for a in typing.get_args(kind) if a is not Ellipsis}
        parser = fields.List(fields.Integer() if item is int else fields.String())
        value = [part.strip() for part in raw.split(",") if part.strip()]
    else:  # pragma: no cover - a programming error in a settings class
        raise TypeError(f"unsupported settings type {kind!r} for {name}")
    try:
        parsed = parser.deserialize(value)
    except ValidationError as exc:
        reason = "; ".join(str(m) for m in _flatten(exc.messages))
        raise SettingsError(f"environment variable {name}={raw!r} is invalid: {reason}") from None
    return tuple(parsed) if isinstance(parsed, list) else parsed


def _flatten(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for v in messages.values() for m in _flatten(v)]
    if isinstance(messages, list):
        return [m for v in messages for m in _flatten(v)]
    return [str(messages)]
