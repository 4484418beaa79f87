"""Enrollments and absences in a real browser (guides 002, 003, 001): a family enrolls its
child in an activity staff validate, sees it pending, then accepted once staff decided through
the API (and gets notify's email); an activity the child is too young for is explained; an
activity whose required document is missing says so, the document is deposited from the form
and, once staff validated it, the enrollment goes through; a booked
day's absence is declared, then justified by staff. axe-core on every page visited.

Staff's side goes through the public APIs behind the gateway; the family is made for this
test (its own account and household): tests share the stack, not their families.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import expect

from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Stack,
    eventually,
    household_of,
    linked_household,
    new_family,
    paris_today,
)

T = f"/tenants/{TENANT}"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CHILD = {
    "first_name": "Léo",
    "last_name": "Bernard",
    "birth_date": "2017-05-03",
    "sex": "M",
    "school": "École du centre",
    "grade": "CE2",
}


def _activity(api: Api, staff: dict[str, str], name: str, start: date, **extra: Any) -> Any:
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
            **extra,
        },
    )


def test_a_family_enrolls_staff_accept_then_an_absence_is_declared_and_justified(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    staff = api.login(STAFF)
    run = uuid.uuid4().hex[:6]
    email = f"inscriptions-{run}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Julie Bernard")
    household, family = linked_household(
        api, family, household_of(email, "Julie", "Bernard", [CHILD])
    )
    child = household["children"][0]
    start = paris_today() + timedelta(days=35 - paris_today().weekday())  # a Monday
    centre = _activity(
        api, staff, f"Centre de loisirs {run}", start, requires_approval=True, min_age=3
    )
    ados = _activity(api, staff, f"Séjour ados {run}", start, min_age=12, max_age=17)
    stage = _activity(
        api, staff, f"Stage nature {run}", start, required_documents=["certificat_medical"]
    )

    tab = open_tab("inscriptions")
    page, visits, base = tab.page, tab.visits, stack.url
    page.goto(f"{base}/inscriptions")
    page.get_by_label("Adresse e-mail ou identifiant").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}/inscriptions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes inscriptions")
    section = page.locator(f"#enfant-{child['id']}")
    expect(section.get_by_role("heading", level=2)).to_have_text("Léo Bernard")
    # Too young: the activity is there, explained, without a link to enroll.
    card = section.locator("li", has=page.get_by_role("heading", name=ados["name"]))
    expect(card).to_contain_text("De 12 à 17 ans")
    expect(card).to_contain_text("Inscription impossible : Votre enfant est trop jeune")
    expect(card.get_by_role("link")).to_have_count(0)
    visits.check("liste")

    # A required document missing: said on the form, booking's refusal said plainly.
    section.get_by_role("link", name=f"Inscrire Léo à « {stage['name']} »").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscrire Léo Bernard")
    main = page.locator("main")
    expect(main).to_contain_text("Certificat médical : Manquant")
    page.get_by_role("button", name="Confirmer l'inscription").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Document manquant ou expiré pour cette inscription : Certificat médical."
    )
    visits.check("document-manquant")
    # Deposited from the form; staff validate it; then the enrollment goes through.
    page.get_by_label("Certificat médical de Léo : le fichier").set_input_files(
        files=[{"name": "certificat.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Envoyer le document : Certificat médical").click()
    expect(page.get_by_role("status")).to_contain_text("Document envoyé")
    expect(main).to_contain_text("Certificat médical : Déposé, en attente de validation")
    visits.check("document-depose")
    (deposited,) = api.call("GET", f"/family{T}/documents?household_id={household['id']}", staff)[
        "items"
    ]
    assert deposited["member_id"] == child["id"]
    api.call("POST", f"/family{T}/documents/{deposited['id']}/validate", staff)
    page.reload()
    expect(main).to_contain_text("Certificat médical : Fourni et valide")

    def enrolled_in_stage() -> bool:
        # booking hears of the validation from family's event: a moment later.
        page.get_by_role("button", name="Confirmer l'inscription").click()
        page.wait_for_load_state()
        return "/inscriptions?envoyee=approved" in page.url

    eventually(enrolled_in_stage, timeout=20, interval=0.5)
    expect(page.get_by_role("status")).to_contain_text("L'inscription est acceptée")

    # Enroll in the activity staff validate: "je réserverai ponctuellement".
    section.get_by_role("link", name=f"Inscrire Léo à « {centre['name']} »").click()
    expect(page.locator("main")).to_contain_text("Inscription validée par la mairie")
    visits.check("formulaire")
    # The rhythm's days only show for a regular rhythm (CSS alone: works without JavaScript).
    monday = page.get_by_label("Lundi", exact=True)
    expect(monday).to_be_hidden()
    page.get_by_label("Selon un rythme régulier").check()
    expect(monday).to_be_visible()
    page.get_by_label("Je réserverai ponctuellement").check()
    expect(monday).to_be_hidden()
    page.get_by_role("button", name="Confirmer l'inscription").click()
    expect(page.get_by_role("status")).to_contain_text("en attente de validation")
    enrolled = section.locator(
        "li.enrollment", has=page.get_by_role("heading", name=centre["name"])
    )
    expect(enrolled).to_contain_text("En attente de validation")
    expect(enrolled).to_contain_text("Je réserverai ponctuellement")
    offered = section.locator("li.offer", has=page.get_by_role("heading", name=centre["name"]))
    expect(offered).to_have_count(0)  # listed with its enrollments now, not offered again
    visits.check("en-attente")

    # Staff accept: the list shows it, the family got notify's email.
    (pending,) = api.call(
        "GET",
        f"/booking{T}/enrollments?status=pending&activity_id={centre['id']}",
        staff,
    )["items"]
    api.call(
        "POST",
        f"/booking{T}/enrollments/{pending['id']}/decision",
        staff,
        {"decision": "approved"},
    )
    message = stack.mailbox.wait_for(email, f"« {centre['name']} » acceptée")
    assert "Léo" in str(message["Subject"])
    page.reload()
    expect(enrolled).to_contain_text("Acceptée")
    visits.check("acceptee")

    # A day booked (basket validated through the API), its absence declared in the browser.
    days = api.call("GET", f"/booking{T}/activities/{centre['id']}/days", staff)["days"]
    day = date.fromisoformat(days[0]["date"])
    basket = api.call(
        "POST",
        f"/booking{T}/baskets",
        family,
        {
            "lines": [
                {"child_id": child["id"], "activity_id": centre["id"], "dates": [day.isoformat()]}
            ]
        },
    )
    validated = api.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})
    assert validated["confirmed"] == 1, validated

    page.goto(f"{base}/absences")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes absences")
    expect(page.locator("main")).to_contain_text("Aucune absence déclarée")
    visits.check("absences-vides")
    page.get_by_role("link", name="Déclarer une absence").click()
    choice = page.get_by_label("Jour de l'absence")
    for _ in range(3):  # the booked day is next month or the one after
        if choice.count():
            break
        page.get_by_role("link", name=re.compile("^Mois suivant")).click()
    expect(choice).to_be_visible()
    visits.check("declarer")
    page.get_by_role("button", name="Déclarer l'absence").click()
    expect(page.locator("#reason-erreur")).to_have_text("Choisissez le motif de l'absence.")
    expect(page.get_by_label("Motif")).to_have_attribute("aria-invalid", "true")
    visits.check("declarer-erreurs")
    page.get_by_label("Jour de l'absence").select_option(index=1)
    page.get_by_label("Motif").select_option(label="Maladie")
    page.get_by_label("Précisions (facultatif)").fill("Fièvre depuis la veille.")
    page.get_by_role("button", name="Déclarer l'absence").click()
    expect(page).to_have_url(f"{base}/absences?declaree=1")
    absence = page.locator("li.absence").first
    expect(absence).to_contain_text("En attente")
    expect(absence).to_contain_text("Maladie")
    expect(absence).to_contain_text(centre["name"])
    visits.check("absence-en-attente")

    # Staff accept the justification: shown as justified.
    def declared() -> list[dict[str, Any]]:
        items = api.call("GET", f"/booking{T}/absences?status=pending", staff)["items"]
        return [a for a in items if a["child_id"] == child["id"]]

    (found,) = eventually(declared)
    assert found["date"] == day.isoformat() and found["note"] == "Fièvre depuis la veille."
    api.call(
        "POST", f"/booking{T}/absences/{found['id']}/decision", staff, {"decision": "accepted"}
    )
    page.reload()
    expect(absence).to_contain_text("Justifiée")
    visits.check("absence-justifiee")
    stack.mailbox.wait_for(email, "justifiée")
