import pytest

from family.settings import FamilySettings
from shared.settings import SettingsError


def test_health_keys_come_from_the_environment():
    settings = FamilySettings.from_env(
        {
            "HEALTH_RECORD_KEYS": "old:" + "MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=,"
            "new:MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI=",
        }
    )
    assert settings.vault().current == "new"
    with pytest.raises(SettingsError, match="HEALTH_RECORD_KEYS"):
        FamilySettings.from_env({"HEALTH_RECORD_KEYS": "k:c2hvcnQ="})
    with pytest.raises(SettingsError, match="HEALTH_RECORD_CURRENT_KEY"):
        FamilySettings.from_env({"HEALTH_RECORD_CURRENT_KEY": "nope"})
    with pytest.raises(SettingsError, match="must be set in production"):
        FamilySettings.from_env({"APP_ENV": "production"})
