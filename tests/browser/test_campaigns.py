"""Enrollment campaigns and renewals in a real browser (issue 16): an agent creates next
year's campaign with its activities and the previous campaign; a family enrolls its child in
two of them at once and reads each activity's answer; the agent prepares the renewals from
the previous campaign (the mapping pre-selected by name without the year); the family sees
the town's rules linked to an activity on the campaign's form, the notice on its home page,
checks its file for the year and confirms the renewal. axe-core on every page.

The previous campaign and the child's enrollment in it go through the public APIs behind the
gateway; the family is made for this test (its own account and household).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Stack,
    household_of,
    linked_household,
    new_family,
)

T = f"/tenants/{TENANT}"
DESKTOP = {"width": 1280, "height": 900}
CHILD = {
    "first_name": "Lina",
    "last_name": "Moreau",
    "birth_date": "2018-04-12",
    "sex": "F",
    "school": "École du centre",
    "grade": "CE2",
}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _activity(api: Api, staff: dict[str, str], name: str, start: date) -> Any:
    return api.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": name,
            "type": "VACANCES",
            "site": "Centre du Lac",
            "period_from": start.isoformat(),
            "period_to": (start + timedelta(days=4)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5],
            "capacity": 10,
            "booking_deadline": {"days_before": 2, "at": "23:59"},
            "cancel_deadline": {"days_before": 2, "at": "23:59"},
        },
    )


def _log_in(page: Page, base: str, email: str, target: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}{target}")


def test_a_campaign_enrolled_in_at_once_then_a_renewal_confirmed(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    staff = api.login(STAFF)
    run = uuid.uuid4().hex[:6]
    today = datetime.now(ZoneInfo("Europe/Paris")).date()  # the town's calendar day
    start = today + timedelta(days=35 - today.weekday())  # a Monday, five weeks ahead
    later = start + timedelta(days=7)
    old_etude = _activity(api, staff, f"Étude {run} 2026-2027", start)
    etude = _activity(api, staff, f"Étude {run} 2027-2028", later)
    cantine = _activity(api, staff, f"Cantine {run} 2027-2028", later)
    mercredis = _activity(api, staff, f"Mercredis {run} 2027-2028", later)
    window = {"opens_on": today.isoformat(), "closes_on": (today + timedelta(days=30)).isoformat()}
    old = api.call(
        "POST",
        f"/booking{T}/campaigns",
        staff,
        {
            "name": f"Accueil {run} 2026-2027",
            "school_year": "2026-2027",
            "activity_ids": [old_etude["id"]],
            **window,
        },
        ok=(201,),
    )
    # The town's rules for the canteen, in force: shown on the campaign's form.
    rules = f"Règlement de la cantine {run}"
    published = api.request.post(
        f"{api.base}/notify{T}/town-documents",
        headers=staff,
        multipart={
            "title": rules,
            "category": "rules",
            "activity_ids": cantine["id"],
            "file": {"name": "reglement.pdf", "mimeType": "application/pdf", "buffer": PDF},
        },
    )
    assert published.status == 201, published.text()
    email = f"campagnes-{run}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Sarah Moreau")
    household, family = linked_household(
        api, family, household_of(email, "Sarah", "Moreau", [CHILD])
    )
    child = household["children"][0]
    # Last year: the child enrolled in the previous campaign's activity (accepted at once).
    enrolled = api.call(
        "POST",
        f"/booking{T}/campaigns/{old['id']}/enrollments",
        family,
        {"child_id": child["id"], "lines": [{"activity_id": old_etude["id"]}]},
    )
    assert [i["outcome"] for i in enrolled["items"]] == ["approved"], enrolled

    # The agent creates next year's campaign.
    agent_tab = open_tab("campagnes-gestion", viewport=DESKTOP)
    agent, staff_visits = agent_tab.page, agent_tab.visits
    _log_in(agent, base, STAFF, "/gestion")
    agent.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Campagnes"
    ).click()
    expect(agent.get_by_role("heading", level=1)).to_have_text("Campagnes d'inscription")
    staff_visits.check("liste")
    agent.get_by_role("link", name="Nouvelle campagne").click()
    name = f"Accueil {run} 2027-2028"
    agent.get_by_label("Nom", exact=True).fill(name)
    agent.get_by_label("Année scolaire").fill("2027-2028x")  # a typo first
    agent.get_by_label("Ouverture des inscriptions").fill(today.strftime("%d/%m/%Y"))
    agent.get_by_label("Fermeture des inscriptions").fill(
        (today + timedelta(days=30)).strftime("%d/%m/%Y")
    )
    agent.get_by_label("Campagne précédente (facultative)").select_option(
        label=f"{old['name']} (2026-2027)"
    )
    for activity in (etude, cantine, mercredis):
        agent.get_by_label(activity["name"]).check()
    agent.get_by_role("button", name="Créer la campagne").click()
    expect(agent.get_by_role("alert")).to_contain_text(
        "Indiquez l'année scolaire sous la forme 2027-2028."
    )
    year = agent.get_by_label("Année scolaire")
    expect(year).to_have_attribute("aria-invalid", "true")
    staff_visits.check("erreur")
    year.fill("2027-2028")
    agent.get_by_role("button", name="Créer la campagne").click()
    expect(agent.get_by_role("status")).to_contain_text("La campagne est créée.")
    expect(agent.get_by_role("heading", level=1)).to_have_text(name)
    campaign_url = agent.url.split("?")[0]
    staff_visits.check("campagne")

    # The family enrolls Lina in two activities at once.
    tab = open_tab("campagnes-famille")
    page, visits = tab.page, tab.visits
    _log_in(page, base, email, "/")
    page.goto(f"{base}/inscriptions")
    campaigns = page.locator(
        "section", has=page.get_by_role("heading", name="Campagnes d'inscription")
    )
    card = campaigns.locator("li", has=page.get_by_role("heading", name=name))
    expect(card).to_contain_text("Ouvertes jusqu'au")
    visits.check("inscriptions")
    card.get_by_role("link", name=f"Inscrire mes enfants : {name}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_label("Lina Moreau (CE2)")).to_be_checked()  # the only child
    expect(page.get_by_role("link", name=rules, exact=True)).to_be_visible()
    # An activity's rhythm shows once it is ticked (CSS alone).
    rhythm = page.get_by_text(f"« {cantine['name']} » : comment réserverez-vous ?")
    expect(rhythm).to_be_hidden()
    page.get_by_label(cantine["name"], exact=True).check()
    expect(rhythm).to_be_visible()
    page.get_by_label(mercredis["name"], exact=True).check()
    visits.check("formulaire")
    page.get_by_role("button", name="Envoyer les inscriptions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Inscriptions de Lina Moreau : la réponse"
    )
    for activity in (cantine, mercredis):
        answer = page.locator("li", has=page.get_by_role("heading", name=activity["name"]))
        expect(answer).to_contain_text("Inscription acceptée")
    visits.check("reponse")

    # The agent prepares the renewals from the previous campaign.
    agent.goto(campaign_url)
    mapping = agent.get_by_label(old_etude["name"])
    expect(mapping.locator("option:checked")).to_have_text(f"{etude['name']} (Centre du Lac)")
    agent.get_by_role("button", name="Préparer les renouvellements").click()
    expect(agent.get_by_role("status")).to_contain_text("1 renouvellement proposé aux familles")
    row = agent.locator("tr", has=agent.get_by_role("link", name="Lina Moreau"))
    expect(row).to_contain_text("À confirmer")
    expect(row).to_contain_text("CM1")  # next year's grade
    staff_visits.check("renouvellements")

    # The family: the notice on its home page, the file checked, the renewal confirmed.
    page.goto(f"{base}/")
    notice = page.get_by_role("link", name="Renouvelez les inscriptions pour 2027-2028 avant le")
    expect(notice).to_be_visible()
    visits.check("accueil")
    notice.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Renouvellement des inscriptions 2027-2028"
    )
    expect(page.locator("main")).to_contain_text("Classe en 2027-2028")
    expect(page.get_by_role("button", name=f"Confirmer : {etude['name']} pour Lina")).to_have_count(
        0
    )
    page.get_by_role("button", name="Valider la vérification").click()
    expect(page.get_by_role("alert")).to_contain_text("Cochez la case")
    visits.check("verification-erreur")
    page.get_by_label("Je confirme que les informations de mon dossier sont à jour").check()
    page.get_by_role("button", name="Valider la vérification").click()
    expect(page.get_by_role("status")).to_contain_text("vous avez confirmé que votre dossier")
    visits.check("verification")
    page.get_by_role("button", name=f"Confirmer : {etude['name']} pour Lina").click()
    expect(page.get_by_role("status")).to_contain_text("Le renouvellement est confirmé.")
    renewal = page.locator("li", has=page.get_by_role("heading", name=etude["name"]))
    expect(renewal).to_contain_text("Renouvellement confirmé")
    visits.check("confirme")
    # booking enrolled the child in next year's activity.
    enrollments = api.call("GET", f"/booking{T}/enrollments?activity_id={etude['id']}", staff)
    assert [e["child_id"] for e in enrollments["items"]] == [child["id"]]
