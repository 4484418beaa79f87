"""The town's settings an admin changes in the back-office (admin only): what the portal
offers families online (issue 16: family edits, online booking, wallet, direct debit),
identity's `PATCH /tenants/{t}/settings`; family, booking and billing then refuse what is
turned off, and the portal hides it."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from web.apis import ApiUnavailable
from web.domain.theme import FEATURES
from web.pages.common import StaffOnly, api, redirect, render, staff_only
from web.state import THEME

routes = web.RouteTableDef()

HOME = "/gestion/reglages"
SETTINGS_PATH = "/tenants/{tenant}/settings"

# Each switch as the admin reads it: its label and what families lose when it is off.
SWITCHES = [
    (
        "family_edits",
        "Les familles modifient leur dossier en ligne",
        "Adresse, responsables, enfants, contacts, photo, fiche sanitaire, quotient : sinon "
        "elles sont invitées à écrire à la mairie.",
    ),
    (
        "online_booking",
        "Les familles réservent en ligne",
        "Le calendrier et le panier : sinon elles voient leurs jours réservés sans pouvoir "
        "en ajouter ; les agents réservent pour elles.",
    ),
    ("wallet", "Tirelire (porte-monnaie prépayé)", "Activation et rechargement par carte."),
    (
        "direct_debit",
        "Prélèvement automatique",
        "Demande et signature des mandats en ligne ; les agents enregistrent toujours les "
        "mandats papier.",
    ),
]
assert [name for name, _, _ in SWITCHES] == list(FEATURES)


async def _page(
    request: web.Request,
    features: dict[str, bool],
    *,
    message: str | None = None,
    status: int = 200,
) -> web.Response:
    return await render(
        request,
        "staff_settings.html.j2",
        {
            "title": "Réglages de la mairie",
            "switches": SWITCHES,
            "features": features,
            "saved": request.query.get("enregistre") == "1",
            "message": message,
        },
        status=status,
    )


async def _features(request: web.Request) -> dict[str, bool]:
    answer = await api(request, "identity", "GET", SETTINGS_PATH)
    if answer.status == 403:
        raise StaffOnly(
            "Cette page est réservée aux administrateurs de la mairie : demandez-leur ce réglage."
        )
    if not answer.ok or not isinstance(answer.body, dict):
        raise ApiUnavailable(f"identity: {answer.status}")
    found = answer.body.get("features") or {}
    return {name: found.get(name) is not False for name in FEATURES}


@routes.get(HOME)
async def settings_page(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    return await _page(request, await _features(request))


@routes.post(HOME)
async def save_settings(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    form = await request.post()
    # A checkbox not ticked is not sent: that switch is off.
    wanted: dict[str, Any] = {name: form.get(name) == "1" for name in FEATURES}
    answer = await api(request, "identity", "PATCH", SETTINGS_PATH, json=wanted)
    if answer.status == 403:
        raise StaffOnly(
            "Cette page est réservée aux administrateurs de la mairie : demandez-leur ce réglage."
        )
    if answer.status == 422:
        detail = str((answer.problem or {}).get("detail") or "Réglages refusés.")
        return await _page(request, wanted, message=detail, status=422)
    if not answer.ok:
        raise ApiUnavailable(f"identity: {answer.status}")
    # The portal shows the new settings at once (the theme carries them).
    request.app[THEME].theme = None
    return redirect(f"{HOME}?enregistre=1")
