import base64

import pytest

from shared.settings import SettingsError
from shared.vault import (
    Sealed,
    Vault,
    VaultError,
    aad_for,
    check_key_settings,
    parse_keys,
    vault_from_settings,
)

K1, K2 = b"1" * 32, b"2" * 32


def spec(*pairs):
    return ",".join(f"{kid}:{base64.b64encode(key).decode()}" for kid, key in pairs)


def test_seal_and_open_with_the_row_as_associated_data():
    vault = Vault({"a": K1}, "a")
    aad = aad_for("family", "health", "epagny", "child-1")
    sealed = vault.seal_json({"allergies": ["arachide"]}, aad)
    assert sealed.key_id == "a" and b"arachide" not in sealed.blob
    assert vault.open_json(sealed, aad) == {"allergies": ["arachide"]}
    with pytest.raises(VaultError):
        vault.open(sealed, aad_for("family", "health", "epagny", "child-2"))
    with pytest.raises(VaultError):  # another service's row of the same id
        vault.open(sealed, aad_for("billing", "health", "epagny", "child-1"))
    tampered = Sealed("a", sealed.blob[:-1] + bytes([sealed.blob[-1] ^ 1]))
    with pytest.raises(VaultError):
        vault.open(tampered, aad)
    assert vault.seal(b"x", aad).blob != vault.seal(b"x", aad).blob  # fresh nonces


def test_the_associated_data_of_family_records_is_unchanged():
    # Health records sealed before the vault moved to shared/ must still open.
    assert aad_for("family", "health", "epagny", "c1") == b"family:health:epagny:c1"


def test_rotation_keeps_old_records_readable():
    old = Vault({"a": K1}, "a")
    sealed = old.seal(b"secret", b"row")
    new = Vault({"a": K1, "b": K2}, "b")
    assert new.open(sealed, b"row") == b"secret"
    assert new.needs_rotation(sealed)
    assert new.seal(b"secret", b"row").key_id == "b"
    with pytest.raises(VaultError, match="unknown key id"):
        Vault({"b": K2}, "b").open(sealed, b"row")


def test_key_specs_are_checked():
    assert parse_keys(spec(("a", K1), ("b", K2))) == {"a": K1, "b": K2}
    for bad in ["", "a", "a:notbase64!", f"a:{base64.b64encode(b'short').decode()}"]:
        with pytest.raises(ValueError):
            parse_keys(bad)
    with pytest.raises(ValueError):
        Vault({"a": K1}, "b")
    assert "1111" not in repr(Vault({"a": K1}, "a"))


def test_key_settings_name_the_variable_they_refuse():
    dev = spec(("dev", K1))
    names = {"keys_env": "BANK_KEYS", "current_env": "BANK_CURRENT_KEY", "development_keys": dev}
    check_key_settings(spec(("a", K1)), "", production=True, **names)
    check_key_settings(dev, "", production=False, **names)
    with pytest.raises(SettingsError, match="BANK_KEYS is invalid"):
        check_key_settings("a:c2hvcnQ=", "", production=False, **names)
    with pytest.raises(SettingsError, match="BANK_CURRENT_KEY names a key not in BANK_KEYS"):
        check_key_settings(dev, "nope", production=False, **names)
    with pytest.raises(SettingsError, match="BANK_KEYS must be set in production"):
        check_key_settings(dev, "", production=True, **names)
    assert vault_from_settings(spec(("a", K1), ("b", K2)), "").current == "b"
    assert vault_from_settings(spec(("a", K1), ("b", K2)), "a").current == "a"
