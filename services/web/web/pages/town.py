"""What the town publishes the same for every family (its menus, information pages, wallet
settings, the régies collecting by direct debit): read with the family's token, then kept
a little (WEB_THEME_CACHE_SECONDS, as the theme) rather than read again on every page:
under load each call a page saves is one less queued at a service."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from web.apis import Answer
from web.pages.common import api
from web.settings import SETTINGS

# (the app, service, path) → (read at, settled, the answer); one app per process, a few paths.
_KEPT: dict[tuple[int, str, str], tuple[float, bool, Answer]] = {}
# What is not settled yet (no menu published) is kept only this long: what staff publish
# shows within seconds, and a busy portal still reads it once, not on every page.
UNSETTLED_SECONDS = 2.0


async def town_read(
    request: web.Request,
    service: str,
    path: str,
    *,
    settled: Callable[[Any], bool] = lambda body: True,
) -> Answer:
    """GET `path` ({tenant} filled in) of `service`; a successful answer is kept, a little
    only while it is not `settled` (e.g. no menu published yet)."""
    keep = request.app[SETTINGS].theme_cache_seconds
    key = (id(request.app), service, path)
    found = _KEPT.get(key)
    if found is not None:
        read_at, was_settled, kept = found
        if time.monotonic() - read_at < (keep if was_settled else min(keep, UNSETTLED_SECONDS)):
            return kept
    answer = await api(request, service, "GET", path)
    if answer.ok and keep > 0:
        _KEPT[key] = (time.monotonic(), settled(answer.body), answer)
    return answer


def forget_town_reads(request: web.Request, service: str, path: str) -> None:
    """Staff just changed what `path` answers (through this portal): its next read is fresh
    here at once (another process of the portal may still show the kept one a little)."""
    _KEPT.pop((id(request.app), service, path), None)
