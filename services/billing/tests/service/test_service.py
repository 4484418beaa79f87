"""The service itself: probes, the OpenAPI document covering every route, its settings."""

from __future__ import annotations

from billing.settings import BillingSettings


async def test_ready_and_every_route_documented(billing):
    r = await billing.client.get("/readyz")
    assert r.status == 200, await r.text()
    spec = await (await billing.client.get("/openapi.json")).json()
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    routes = {
        (route.resource.canonical, route.method.lower())
        for route in billing.client.app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    own = {r for r in routes if r[0].startswith("/tenants/")}
    assert own and own <= documented
    assert spec["info"]["title"] == "Portail Famille: billing"
    # Personal data is never cached; the probes are.
    r = await billing.client.get("/tenants/epagny/regies", headers=billing.staff())
    assert r.headers["Cache-Control"] == "no-store"
    assert "Cache-Control" not in (await billing.client.get("/healthz")).headers


def test_settings_defaults():
    settings = BillingSettings.from_env({})
    assert (settings.service, settings.http_port, settings.schema) == ("billing", 8084, "billing")
    assert settings.basket_invoice_grace_seconds == 1.0
