from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from shared.http.app import create_service_app
from shared.testing.sample import SampleSettings, definition


@pytest.fixture
def sample_settings(make_settings: Callable[..., Any]) -> SampleSettings:
    return make_settings(SampleSettings)


@pytest.fixture
async def sample(aiohttp_client: Any, sample_settings: SampleSettings) -> AsyncIterator[TestClient]:
    client = await aiohttp_client(create_service_app(sample_settings, definition()))
    yield client
    await client.close()
