"""A family changes one of its child's contacts from the portal (issue 16, who may pick the
child up), the family service stood in: the « Modifier » link on the contact's card, the form
filled with the contact on file, the change sent as the family API's PATCH, its 422 next to
the field, the change shown waiting on the card, and nothing of it when the town turned
family edits off."""

from __future__ import annotations

from .test_household_pages import (  # noqa: F401  (fixtures of the family stand-in)
    LEA,
    family,
    log_in,
    page,
    stand_in_routes,
)

PAUL = "44444444-4444-4444-8444-444444444444"
EDIT = f"/foyer/enfants/{LEA}/contacts/{PAUL}"
OFF = "La mairie ne permet pas de modifier le dossier en ligne"
FORM = {
    "first_name": "Paul",
    "last_name": "Roux",
    "relationship": "grand-père",
    "phone": "06 99 88 77 66",
    "can_pick_up": "non",
    "emergency": "oui",
}


async def test_the_contact_card_links_to_a_form_filled_with_the_contact(portal):
    await log_in(portal)
    html, _ = await page(portal, f"/foyer/enfants/{LEA}")
    assert f'<a href="{EDIT}">Modifier<span class="visually-hidden"> Paul Roux</span></a>' in html
    html, _ = await page(portal, EDIT)
    assert "<h1>Modifier Paul Roux (contact de Léa)</h1>" in html
    assert f'action="{EDIT}"' in html
    assert 'id="phone" name="phone" type="tel" value="06 11 22 33 44"' in html
    assert 'id="relationship" name="relationship" type="text" value="grand-père"' in html
    # The permissions: a fieldset and its legend, the answer on file chosen, its day recalled.
    assert "<legend>Autorisé(e) à venir chercher l&#39;enfant</legend>" in html
    assert 'id="can_pick_up" name="can_pick_up" type="radio" value="oui" checked' in html
    assert 'id="emergency" name="emergency" type="radio" value="oui" checked' in html
    assert "Actuellement : Autorisé depuis le jeudi 3 septembre 2026." in html
    assert "en attente de validation" in html  # what happens to it is said before sending


async def test_the_change_is_sent_as_the_family_api_s_patch(portal, family):  # noqa: F811
    await log_in(portal)
    _, token = await page(portal, EDIT)
    r = await portal.post(EDIT, data={"csrf_token": token, **FORM}, allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/foyer?envoye=1")
    assert family.sent[-1] == (
        "PATCH",
        f"/tenants/demo/me/household/contacts/{PAUL}",
        {
            "first_name": "Paul",
            "last_name": "Roux",
            "phone": "06 99 88 77 66",
            "relationship": "grand-père",
            "can_pick_up": False,
            "emergency": True,
        },
    )
    html, _ = await page(portal, "/foyer?envoye=1")
    assert "elle est en attente de validation par la mairie" in html


async def test_the_api_s_422_comes_back_next_to_its_field(portal, family):  # noqa: F811
    await log_in(portal)
    _, token = await page(portal, EDIT)
    family.next_answer = (
        422,
        {
            "detail": "Certaines informations sont manquantes ou incorrectes : phone.",
            "errors": [
                {
                    "field": "phone",
                    "detail": "Numéro de téléphone invalide (ex. 06 12 34 56 78).",
                }
            ],
        },
    )
    r = await portal.post(EDIT, data={"csrf_token": token, **FORM, "phone": "pas un numéro"})
    html = await r.text()
    assert r.status == 422
    assert (
        '<p class="field-error" id="phone-erreur">Numéro de téléphone invalide '
        "(ex. 06 12 34 56 78).</p>" in html
    )
    assert 'href="#phone"' in html and 'aria-invalid="true"' in html  # the error summary
    assert 'value="pas un numéro"' in html  # what the family typed is kept
    # …and its answers too: pick-up withdrawn, emergency given.
    assert 'id="can_pick_up-non" name="can_pick_up" type="radio" value="non" checked' in html
    assert 'id="emergency" name="emergency" type="radio" value="oui" checked' in html


async def test_a_contact_with_a_change_waiting_shows_it(portal, family):  # noqa: F811
    family.pending.append(
        {
            "id": "c3",
            "entity": "contact",
            "operation": "update",
            "entity_id": PAUL,
            "parent_id": None,
            "summary": "Modification d'une personne à contacter : Paul Roux",
            "status": "pending",
            "submitted_at": "2026-10-06T08:00:00+00:00",
            "proposed": {**FORM, "can_pick_up": False, "emergency": True},
        }
    )
    await log_in(portal)
    html, _ = await page(portal, f"/foyer/enfants/{LEA}")
    assert "Modification en attente de validation</span>" in html
    assert "<li>Téléphone : 06 99 88 77 66</li>" in html
    assert "<li>Peut venir chercher l&#39;enfant : non</li>" in html
    html, _ = await page(portal, EDIT)
    assert "Une modification de cette personne est déjà en attente de validation" in html


async def test_an_unknown_contact_is_a_404(portal):
    await log_in(portal)
    r = await portal.get(f"/foyer/enfants/{LEA}/contacts/55555555-5555-4555-8555-555555555555")
    assert r.status == 404
    r = await portal.get(f"/foyer/enfants/{LEA}/contacts/pas-un-id")
    assert r.status == 404


async def test_family_edits_off_hide_the_link_and_refuse_the_form(portal, services, family):  # noqa: F811
    stand_in, _ = services
    await log_in(portal)
    _, token = await page(portal, EDIT)
    stand_in.features = {
        "family_edits": False,
        "online_booking": True,
        "wallet": True,
        "direct_debit": True,
    }
    html, _ = await page(portal, f"/foyer/enfants/{LEA}")
    assert f'href="{EDIT}"' not in html and OFF in html
    r = await portal.get(EDIT)
    html = await r.text()
    assert r.status == 200 and OFF in html and f'action="{EDIT}"' not in html
    # The family service refuses it (403); the portal says why, without the form.
    family.next_answer = (403, {"detail": "La mairie ne permet pas les modifications en ligne."})
    r = await portal.post(EDIT, data={"csrf_token": token, **FORM}, allow_redirects=False)
    html = await r.text()
    assert r.status == 403 and OFF in html and f'action="{EDIT}"' not in html
    assert family.sent[-1][:2] == ("PATCH", f"/tenants/demo/me/household/contacts/{PAUL}")
