"""Settings read from the environment: defaults, errors naming the variable, overrides."""

from __future__ import annotations

import dataclasses

import pytest

from shared.settings import ServiceSettings, SettingsError, setting
from shared.testing.sample import SampleSettings


def test_defaults_work_with_an_empty_environment():
    settings = ServiceSettings.from_env({})
    assert settings.service == "service"
    assert settings.environment == "development"
    assert settings.http_host == "127.0.0.1"
    assert settings.http_port == 8080
    assert settings.max_body_bytes == 1_048_576
    assert settings.max_inflight_requests == 256
    assert settings.migrate_on_start is True
    assert settings.retry_delays_ms == (1000, 5000, 30000)
    assert settings.database_url.startswith("postgresql://")
    assert settings.amqp_url.startswith("amqp://")
    # Derived values.
    assert settings.schema == "service"
    assert settings.role is None
    assert settings.json_logs is False  # auto: console outside production


def test_from_env_reads_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("HTTP_PORT", "9123")
    monkeypatch.setenv("APP_ENV", "production")
    settings = ServiceSettings.from_env()
    assert settings.http_port == 9123
    assert settings.environment == "production"
    assert settings.json_logs is True  # auto: JSON in production


def test_values_are_parsed_to_their_declared_types():
    settings = ServiceSettings.from_env(
        {
            "SERVICE_NAME": "billing",
            "APP_ENV": "production",
            "HTTP_PORT": "8443",
            "SHUTDOWN_TIMEOUT_SECONDS": "2.5",
            "MIGRATE_ON_START": "false",
            "CONSUMER_RETRY_DELAYS_MS": " 10, 20 ,30 ",
            "DB_SCHEMA": "facturation",
            "DB_ROLE": "billing_rw",
            "LOG_FORMAT": "console",
        }
    )
    assert settings.service == "billing"
    assert settings.http_port == 8443
    assert settings.shutdown_timeout == 2.5
    assert settings.migrate_on_start is False
    assert settings.retry_delays_ms == (10, 20, 30)
    assert isinstance(settings.retry_delays_ms, tuple)
    assert settings.schema == "facturation"
    assert settings.role == "billing_rw"
    assert settings.json_logs is False  # explicit console wins over production


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("HTTP_PORT", "eighty", id="non-integer-port"),
        pytest.param("HTTP_PORT", "80.5", id="fractional-port"),
        pytest.param("HTTP_PORT", "0", id="port-too-low"),
        pytest.param("HTTP_PORT", "65536", id="port-too-high"),
        pytest.param("APP_ENV", "prod", id="bad-enum"),
        pytest.param("LOG_LEVEL", "verbose", id="bad-log-level"),
        pytest.param("MIGRATE_ON_START", "maybe", id="bad-bool"),
        pytest.param("CONSUMER_RETRY_DELAYS_MS", "100,abc,300", id="bad-list-item"),
        pytest.param("SHUTDOWN_TIMEOUT_SECONDS", "soon", id="non-number-float"),
        pytest.param("SHUTDOWN_TIMEOUT_SECONDS", "61", id="float-out-of-range"),
        pytest.param("OUTBOX_SWEEP_SECONDS", "nan", id="nan-float"),
        pytest.param("HTTP_MAX_BODY_BYTES", "100", id="body-limit-too-small"),
        pytest.param("SERVICE_NAME", "Billing Service", id="bad-slug"),
        pytest.param("DB_SCHEMA", "drop table;", id="bad-schema-name"),
        pytest.param("BUS_NAMESPACE", "-bad", id="bad-namespace"),
    ],
)
def test_each_bad_value_raises_a_settings_error_naming_the_variable(variable, value):
    with pytest.raises(SettingsError) as caught:
        ServiceSettings.from_env({variable: value})
    message = str(caught.value)
    assert variable in message
    assert repr(value) in message  # the offending value is shown too
    assert "invalid" in message


def test_the_error_explains_why_the_value_is_refused():
    with pytest.raises(SettingsError, match="APP_ENV") as caught:
        ServiceSettings.from_env({"APP_ENV": "prod"})
    assert "development" in str(caught.value)  # the accepted values are listed
    with pytest.raises(SettingsError, match="HTTP_PORT") as caught:
        ServiceSettings.from_env({"HTTP_PORT": "70000"})
    assert "65535" in str(caught.value)


def test_bool_accepts_the_usual_spellings():
    for raw, expected in [("true", True), ("1", True), ("yes", True), ("off", False), ("0", False)]:
        assert ServiceSettings.from_env({"MIGRATE_ON_START": raw}).migrate_on_start is expected


def test_overrides_win_over_environment_and_defaults():
    settings = ServiceSettings.from_env(
        {"HTTP_PORT": "9000", "APP_ENV": "production"}, http_port=9999, service="override"
    )
    assert settings.http_port == 9999
    assert settings.service == "override"
    assert settings.environment == "production"  # not overridden: read from the environment


def test_an_override_skips_a_bad_environment_value():
    # The overridden variable is never read, so its bad value does not matter.
    settings = ServiceSettings.from_env({"HTTP_PORT": "not-a-port"}, http_port=8000)
    assert settings.http_port == 8000


def test_settings_are_frozen():
    settings = ServiceSettings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.http_port = 1  # type: ignore[misc]


@dataclasses.dataclass(frozen=True)
class BillingSettings(ServiceSettings):
    service: str = setting("SERVICE_NAME", "billing")
    invoice_day: int = setting("INVOICE_DAY", 5, validate=None, help="day of the month")


def test_a_subclass_has_its_own_service_default_and_fields():
    settings = BillingSettings.from_env({})
    assert settings.service == "billing"
    assert settings.schema == "billing"
    assert settings.invoice_day == 5
    assert settings.http_port == 8080  # inherited fields keep their defaults
    assert isinstance(settings, ServiceSettings)
    assert BillingSettings.from_env({"INVOICE_DAY": "12"}).invoice_day == 12
    with pytest.raises(SettingsError, match="INVOICE_DAY"):
        BillingSettings.from_env({"INVOICE_DAY": "douze"})
    # The environment still wins over the subclass default.
    assert BillingSettings.from_env({"SERVICE_NAME": "factures"}).service == "factures"


def test_the_sample_service_settings_default_to_sample():
    assert SampleSettings.from_env({}).service == "sample"


def test_describe_lists_every_variable():
    described = BillingSettings.from_env({}).describe()
    assert described["INVOICE_DAY"] == "day of the month"
    assert {"SERVICE_NAME", "HTTP_PORT", "DATABASE_URL", "AMQP_URL", "JWKS_URL"} <= set(described)
