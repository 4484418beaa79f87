"""A town that turns the wallet or direct debit off (issue 16): the portal hides the links,
the activation, top-up, mandate and signature forms, and shows the town's message."""

from __future__ import annotations

import re

from .test_wallet_pages import (  # noqa: F401  (fixtures of the billing stand-in)
    billing,
    household_tokens,
    log_in,
    page,
    stand_in_routes,
)

WALLET_OFF = "La mairie ne propose pas le porte-monnaie en ligne : contactez le service Enfance"
DEBIT_OFF = "La mairie ne propose pas le prélèvement automatique : contactez le service Enfance"


async def test_wallet_and_direct_debit_off_hide_their_forms(portal, services, billing):  # noqa: F811
    stand_in, _ = services
    await log_in(portal)
    html = await page(portal, "/factures")
    assert 'href="/tirelire"' in html and 'href="/prelevement"' in html
    stand_in.features = {
        "family_edits": True,
        "online_booking": True,
        "wallet": False,
        "direct_debit": False,
    }
    html = await page(portal, "/factures")
    assert 'href="/tirelire"' not in html and 'href="/prelevement"' not in html
    assert 'href="/tirelire"' not in await page(portal, "/")
    # An active wallet keeps its balance and movements, read-only: the money stays the
    # family's, and the page says so.
    html = await page(portal, "/tirelire")
    assert "15,50\u00a0€" in html and WALLET_OFF not in html
    text = re.sub(r"[ \n]+", " ", html)  # the template's line breaks, not the \u00a0
    assert (
        "Le porte-monnaie n'est plus proposé par la commune ; votre solde de 15,50\u00a0€"
        " reste disponible" in text
    )
    assert "vos nouvelles réservations sont facturées" in text
    assert "Pour récupérer ce solde, contactez le service Enfance" in text
    assert 'action="/tirelire/recharger"' not in html
    billing.wallet_active = False
    html = await page(portal, "/tirelire")
    assert WALLET_OFF in html and 'action="/tirelire/activer"' not in html
    html = await page(portal, "/prelevement")
    assert DEBIT_OFF in html and 'action="/prelevement/mandat"' not in html
    html = await page(portal, "/prelevement/signature?token=" + "x" * 30)
    assert DEBIT_OFF in html and "Je signe le mandat" not in html
    # On again: the forms are back.
    stand_in.features = None
    html = await page(portal, "/prelevement")
    assert 'action="/prelevement/mandat"' in html and DEBIT_OFF not in html
    assert 'action="/tirelire/activer"' in await page(portal, "/tirelire")
