"""A town that turns family edits off (issue 16; Epagny asks families to write to the crèche
instead): the household file is shown without its edit links and forms, with the town's
message saying whom to contact."""

from __future__ import annotations

from .test_household_pages import (  # noqa: F401  (fixtures of the family stand-in)
    LEA,
    family,
    log_in,
    page,
    stand_in_routes,
)

OFF = "La mairie ne permet pas de modifier le dossier en ligne : contactez le service Enfance"
EDIT_LINKS = (
    'href="/foyer/adresse"',
    'href="/foyer/responsables/nouveau"',
    'href="/foyer/enfants/nouveau"',
)


async def test_family_edits_off_hide_the_edit_links_and_forms(portal, services, family):  # noqa: F811
    stand_in, _ = services
    await log_in(portal)
    html, _ = await page(portal, "/foyer")
    assert all(link in html for link in EDIT_LINKS) and OFF not in html
    stand_in.features = {
        "family_edits": False,
        "online_booking": True,
        "wallet": True,
        "direct_debit": True,
    }
    r = await portal.get("/foyer")
    html = await r.text()
    assert OFF in html and "(enfance@demo.example" in html
    assert not any(link in html for link in EDIT_LINKS)
    assert "3 place de la Mairie" in html and "Léa" in html  # the file is still shown
    r = await portal.get(f"/foyer/enfants/{LEA}")
    html = await r.text()
    assert r.status == 200 and OFF in html
    assert f'action="/foyer/enfants/{LEA}"' not in html
    assert f'action="/foyer/enfants/{LEA}/contacts"' not in html
    assert f'action="/foyer/enfants/{LEA}/photo"' not in html
    r = await portal.get("/foyer/adresse")
    html = await r.text()
    assert r.status == 200 and OFF in html and 'action="/foyer/adresse"' not in html
    # A family without a household cannot ask for one either; linking with a code stays.
    family.linked = False
    r = await portal.get("/foyer")
    html = await r.text()
    assert OFF in html and 'action="/foyer/creation"' not in html
    assert 'action="/foyer/lier"' in html
