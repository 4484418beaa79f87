"""The notify service's HTTP adapters, one module per resource: parse, call a use case,
answer. `routes` is every route of the service."""

from __future__ import annotations

from notify.api import (
    emails,
    menus,
    news,
    notifications,
    pages,
    preferences,
    tenants,
    town_documents,
)

routes = [
    *tenants.routes,
    *emails.routes,
    *notifications.routes,
    *preferences.routes,
    *news.routes,
    *pages.routes,
    *menus.routes,
    *town_documents.routes,
]
