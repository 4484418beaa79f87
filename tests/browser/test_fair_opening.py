"""The fair opening in a real browser (issue 18), against the real services: an agent creates
an opening window in the back-office (two priority rules ticked and numbered); a family sends
its request (both children, both days, siblings together, a criterion declared), and the
child's calendar says those days go to the draw; the window closes and its places are
allocated (the agent's « Lancer le tirage », or the sweeper first); the family reads its
level, rank and each day's outcome, then the published draw whose in-page check passes; the
agent's CSV export answers. Then the activity is set to offer freed places: a cancellation
makes an offer (« Place proposée » on the child's calendar, linked to the offers) the family
accepts with the button on « Places proposées »; another one the family accepts from the
emailed link, opened without a login in a fresh browser. axe-core on every page.

The activity, the families and their enrollments go through the public APIs behind the
gateway; a second household (two children, the first rule met) asks for the first day at
the desk (staff's request), so that it takes that day's two places before our family.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Mailbox,
    Stack,
    eventually,
    household_of,
    linked_household,
    new_family,
    paris_today,
)
from web.domain.french import long_date

T = f"/tenants/{TENANT}"
PARIS = ZoneInfo("Europe/Paris")
DESKTOP = {"width": 1280, "height": 900}
# Long enough for the family to send its request through the page before the window closes.
OPEN_SECONDS = 90
ADMIN = "admin@demo.example"


def _child(first_name: str) -> dict[str, Any]:
    return {
        "first_name": first_name,
        "last_name": "Garnier",
        "birth_date": "2017-03-08",
        "sex": "F",
        "school": "École du centre",
        "grade": "CE2",
    }


def _enrolled(api: Api, headers: dict[str, str], child: dict[str, Any], activity: Any) -> None:
    """An approved enrollment, once booking heard of the child."""
    answers: list[str] = []

    def done() -> bool:
        r = api.request.post(
            f"{api.base}/booking{T}/enrollments",
            headers=headers,
            data={"child_id": child["id"], "activity_id": activity["id"]},
        )
        answers.append(f"{r.status} {r.text()}")
        return r.status == 201

    eventually(done, message=lambda: answers[-1])


def _log_in(page: Page, base: str, email: str, target: str) -> None:
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}{target}")


def _booking_on(
    api: Api, headers: dict[str, str], child_id: str, day: Any, state: str = "booked"
) -> str:
    """The child's booking of that day in that state ("booked": either booked state), read
    from its calendar."""
    calendar = api.call(
        "GET", f"/booking{T}/children/{child_id}/calendar?month={day:%Y-%m}", headers
    )
    for activity in calendar["activities"]:
        for found in activity["days"]:
            if (
                found["date"] == day.isoformat()
                and found.get("booking_id")
                and found["state"].startswith(state)
            ):
                return str(found["booking_id"])
    raise AssertionError(f"no booking of {child_id} on {day}: {calendar}")


def test_a_window_drawn_then_freed_places_offered_and_accepted(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    staff = api.login(STAFF)
    run = uuid.uuid4().hex[:6]
    today = paris_today()
    first, second = today + timedelta(days=10), today + timedelta(days=11)
    activity = api.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": f"Séjour {run}",
            "type": "VACANCES",
            "site": "Centre du Lac",
            "period_from": first.isoformat(),
            "period_to": second.isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "school_time": False,
            "capacity": 2,
            "booking_deadline": {"days_before": 2, "at": "23:59"},
            "cancel_deadline": {"days_before": 2, "at": "23:59"},
        },
    )
    # Our family: two children, both enrolled.
    email = f"tirage-{run}@demo.example"
    family = new_family(api, stack.mailbox, email, name="Anne Garnier")
    household, family = linked_household(
        api, family, household_of(email, "Anne", "Garnier", [_child("Inès"), _child("Jules")])
    )
    ines, jules = sorted(household["children"], key=lambda c: c["first_name"])
    for child in (ines, jules):
        _enrolled(api, family, child, activity)
    # The other household (no account): opened and enrolled by staff.
    other = api.call(
        "POST",
        f"/family{T}/households",
        staff,
        household_of(
            f"guichet-{run}@demo.example",
            "Marc",
            "Roche",
            [{**_child("Lou"), "last_name": "Roche"}, {**_child("Noé"), "last_name": "Roche"}],
        ),
    )
    for child in other["children"]:
        _enrolled(api, staff, child, activity)

    # The agent creates the window in the back-office: open now, closing in a minute or so.
    agent_tab = open_tab("tirage-gestion", viewport=DESKTOP)
    agent, staff_visits = agent_tab.page, agent_tab.visits
    _log_in(agent, base, STAFF, "/gestion")
    agent.goto(f"{base}/gestion/fenetres")
    expect(agent.get_by_role("heading", level=1)).to_have_text("Fenêtres d'inscription")
    staff_visits.check("liste")
    now = datetime.now(PARIS).replace(microsecond=0)
    closes = now + timedelta(seconds=OPEN_SECONDS)
    name = f"Séjours {run}"
    agent.get_by_label("Activité", exact=True).select_option(
        label=f"{activity['name']} (Centre du Lac)"
    )
    agent.get_by_label("Nom", exact=True).fill(name)
    opens_input = agent.get_by_label("Ouverture des demandes (heure de Paris)")
    opens_input.fill((now - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"))
    # With its seconds: the window closes within the test, not at the next minutes.
    agent.get_by_label("Fermeture des demandes (heure de Paris)").fill(
        closes.strftime("%Y-%m-%dT%H:%M:%S")
    )
    agent.get_by_label("Résident de la commune", exact=True).check()
    agent.get_by_label("Ordre du critère « Résident de la commune »").fill("1")
    agent.get_by_label("Les deux parents travaillent", exact=True).check()
    agent.get_by_label("Ordre du critère « Les deux parents travaillent »").fill("2")
    staff_visits.check("formulaire")
    agent.get_by_role("button", name="Créer la fenêtre").click()
    expect(agent.get_by_role("status")).to_contain_text("La fenêtre est créée.")
    expect(agent.get_by_role("heading", level=1)).to_have_text(name)
    window_url = agent.url.split("?")[0]
    window_id = window_url.rsplit("/", 1)[1]
    expect(agent.locator("main")).to_contain_text("Ouverte aux demandes")
    staff_visits.check("fenetre")
    # The other household asks at the desk for the first day, as a resident (level 1).
    api.call(
        "PUT",
        f"/booking{T}/windows/{window_id}/requests/households/{other['id']}",
        staff,
        {
            "children": [
                {"child_id": c["id"], "dates": [first.isoformat()]} for c in other["children"]
            ],
            "criteria": ["resident"],
        },
    )

    # The family sends its request: both children, both days, together, both parents working.
    tab = open_tab("tirage-famille")
    page, visits = tab.page, tab.visits
    _log_in(page, base, email, "/")
    page.goto(f"{base}/reservations/fenetres")
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscriptions par tirage au sort")
    visits.check("fenetres")
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("main")).to_contain_text("Niveau 1 : Résident de la commune")
    for child in (ines, jules):
        days = page.get_by_role("group", name=f"Jours demandés pour {child['first_name']}")
        for day in (first, second):
            days.get_by_label(long_date(day)).check()
    page.get_by_label("Mêmes jours pour mes enfants").check()
    page.get_by_label("Les deux parents travaillent", exact=True).check()
    visits.check("demande")
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("status")).to_contain_text("Votre demande est enregistrée.")
    expect(page.get_by_role("button", name="Modifier ma demande")).to_be_visible()
    visits.check("demande-envoyee")
    # Until the draw, the child's calendar says the days are the draw's, not bookable.
    page.goto(f"{base}/reservations/{ines['id']}?mois={first:%Y-%m}")
    cell = page.locator(f'td[data-date="{first.isoformat()}"]')
    expect(cell.locator(".state")).to_have_text("Tirage au sort")
    expect(cell.get_by_role("checkbox")).to_have_count(0)
    expect(page.locator(".legend")).to_contain_text(
        "Tirage au sort : Attribution par tirage au sort : "
    )
    visits.check("calendrier-tirage")
    assert datetime.now(PARIS) < closes, "the request was sent after the window closed"

    # The window closes; the agent launches the draw (unless the sweeper was first).
    remaining = (closes - datetime.now(PARIS)).total_seconds()
    page.wait_for_timeout(max(0.0, remaining + 1) * 1000)
    agent.goto(window_url)
    launch = agent.get_by_role("button", name="Lancer le tirage")
    if launch.count():
        staff_visits.check("fermee")
        launch.click()
        expect(agent.get_by_role("status")).to_contain_text("Le tirage est effectué")
        expect(agent.get_by_role("status")).to_contain_text(
            "2 demandes départagées ; 4 journées réservées ; 2 en liste d'attente."
        )
    expect(agent.locator("main")).to_contain_text("Tirage effectué")
    results = agent.locator("section", has=agent.get_by_role("heading", name="Résultats du tirage"))
    expect(results.locator("tbody tr")).to_have_count(2)
    expect(results.locator("tbody tr").nth(0)).to_contain_text("1 – Résident de la commune")
    expect(results.locator("tbody tr").nth(1)).to_contain_text(
        f"{first:%d/%m/%Y} : 2 enfants, 2 en liste d'attente"
    )
    staff_visits.check("tirage")
    export = agent.get_by_role("link", name="Exporter (CSV)")
    csv = agent.request.get(f"{base}{export.get_attribute('href')}")
    assert csv.status == 200, csv.text()
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text().splitlines()
    assert lines[1].startswith("rang;niveau;priorité"), lines[:2]
    assert len(lines) == 2 + 2 + 4, lines  # the seed, the header, Lou and Noé, ours x2 days

    # The family's outcome: level 2, second of two; the first day waiting, the second booked.
    page.goto(f"{base}/reservations/fenetres/{window_id}")
    mine = page.locator("section", has=page.get_by_role("heading", name="Ma demande"))
    expect(mine).to_contain_text("Niveau 2 : Les deux parents travaillent")
    expect(mine).to_contain_text("2 sur 2")
    for child in (ines, jules):
        table = page.get_by_role("table", name=f"Résultat pour {child['first_name']}")
        expect(table.get_by_role("row", name=long_date(first))).to_contain_text(
            "Liste d'attente, position"
        )
        expect(table.get_by_role("row", name=long_date(second))).to_contain_text("Place obtenue")
    visits.check("resultat")
    page.get_by_role("link", name="Consulter le tirage complet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Tirage au sort : {name}")
    expect(page.get_by_role("status")).to_contain_text("Vérification faite par le portail")
    expect(page.locator("table.fair-table tbody tr")).to_have_count(2)
    visits.check("tirage-publie")

    # Freed places are offered: the activity's waiting list set to « proposition de place ».
    # (An activity's settings are the admin's.)
    admin_tab = open_tab("tirage-admin", viewport=DESKTOP)
    admin, admin_visits = admin_tab.page, admin_tab.visits
    _log_in(admin, base, ADMIN, "/gestion")
    admin.goto(f"{base}/gestion/activites/{activity['id']}")
    admin.get_by_label("Proposition de place à accepter par la famille").check()
    admin.get_by_role("button", name="Enregistrer les modifications").click()
    expect(admin.get_by_role("status").first).to_contain_text("Les modifications sont enregistrées")
    expect(admin.get_by_label("Proposition de place à accepter par la famille")).to_be_checked()
    admin_visits.check("activite-propositions")
    lou, noe = other["children"]
    first_waiting = _booking_on(api, staff, lou["id"], first)
    api.call("POST", f"/booking{T}/bookings/{first_waiting}/cancel", staff, {})

    # The family sees the offer and accepts it with the button.
    def offered() -> list[Any]:
        found = api.call("GET", f"/booking{T}/offers", family)["items"]
        return [o for o in found if o["status"] == "open"]

    (offer,) = eventually(offered)
    # The child's calendar: the day offered, linked to the offers.
    page.goto(f"{base}/reservations/{offer['child_id']}?mois={first:%Y-%m}")
    day_offered = page.locator(f'td[data-date="{first.isoformat()}"] .state')
    expect(day_offered).to_contain_text("Place proposée")
    visits.check("calendrier-offre")
    day_offered.get_by_role("link", name=f"Place proposée le {long_date(first)}").click()
    expect(page).to_have_url(f"{base}/reservations/offres")
    expect(page.get_by_role("heading", level=1)).to_have_text("Places proposées")
    card = page.locator(f"#offre-{offer['id']}")
    expect(card).to_contain_text(f"{offer['child_first_name']} : {activity['name']}")
    expect(card).to_contain_text(long_date(first))
    visits.check("offres")
    card.get_by_role("button", name=re.compile("^Accepter la place")).click()
    expect(page.get_by_role("status")).to_contain_text("La place est acceptée")
    expect(page.locator("main")).to_contain_text("Place acceptée")
    visits.check("offre-acceptee")

    # Another place: offered to the other child, accepted from the emailed link, no login.
    api.call(
        "POST",
        f"/booking{T}/bookings/{_booking_on(api, staff, noe['id'], first)}/cancel",
        staff,
        {},
    )
    (second_offer,) = eventually(offered)
    assert second_offer["child_id"] != offer["child_id"]
    message = eventually(
        lambda: [
            m
            for m in stack.mailbox.to(email, "Une place s'est libérée")
            if f"{second_offer['child_first_name']} est sur la liste" in Mailbox.text(m)
        ]
    )[-1]
    (link,) = [u for u in Mailbox.links(message) if "/offres/accepter/" in u][-1:]
    token = link.rsplit("/", 1)[1]
    link_tab = open_tab("tirage-lien")
    anonymous, link_visits = link_tab.page, link_tab.visits
    anonymous.goto(f"{base}/offres/accepter/{token}")
    expect(anonymous.get_by_role("heading", level=1)).to_have_text("Une place vous est proposée")
    link_visits.check("lien")
    anonymous.get_by_role("button", name="Accepter la place").click()
    expect(anonymous.get_by_role("heading", level=1)).to_have_text("Place confirmée")
    expect(anonymous.locator("main")).to_contain_text(long_date(first).split(" ", 1)[1])
    link_visits.check("lien-accepte")
    # Both children now have the first day.
    for child in (ines, jules):
        assert _booking_on(api, family, child["id"], first)
    assert offered() == []
