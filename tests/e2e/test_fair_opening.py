"""The fair opening (issue 18) through the gateway only: staff give an activity's days an
opening window (priority rules, a lottery whose seed's hash is published); four families
submit their requests while it is open (one asks its two children together), a basket for
one of its days is refused meanwhile; the window closes, booking's sweeper allocates it; each
family reads its level, rank and days, anyone recomputes the draw from the revealed seed, each
family gets the draw's email (no recap), staff download the allocation from the back-office.
Then the waiting list works by offers: a booked day cancelled, the first waiting family is
emailed a one-click link, which the portal shows without accepting and accepts on its button,
once; the day is booked and billed. Last, a family turns its booking reminders off."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import APIRequestContext, Playwright

from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    client_address,
    eventually,
    household_of,
    new_family,
    paris_today,
)

T = f"/tenants/{TENANT}"
PRICE = 800  # a day, whatever the quotient
CAPACITY = 2
RULES = [
    {"code": "resident", "label": "Résident de la commune"},
    {"code": "both_parents_working", "label": "Les deux parents travaillent"},
]
# Each family: its children's first names, whether together, the criteria it declares.
FAMILIES = {
    "Bernard": (["Emma", "Hugo"], True, ["resident"]),
    "Petit": (["Lina"], False, ["both_parents_working"]),
    "Robert": (["Nathan"], False, []),
    "Richard": (["Chloé"], False, ["resident", "both_parents_working"]),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def portal(playwright: Playwright, stack: Any) -> Iterator[Any]:
    """Fresh browser-like clients of the portal (each its own cookies and address)."""
    contexts: list[APIRequestContext] = []

    def new() -> APIRequestContext:
        context = playwright.request.new_context(
            base_url=stack.url, extra_http_headers={"X-Forwarded-For": client_address()}
        )
        contexts.append(context)
        return context

    yield new
    for context in contexts:
        context.dispose()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, html[:500]
    return found[1]


def portal_login(client: APIRequestContext, login: str) -> None:
    """Logged in on the portal as a person does: the form, its CSRF field, the password."""
    page = client.get("/connexion")
    assert page.status == 200, page.text()[:300]
    done = client.post(
        "/connexion",
        form={"login": login, "password": PASSWORD, "csrf_token": csrf_of(page.text())},
    )
    assert done.status == 200 and "/connexion" not in urlsplit(done.url).path, done.text()[:500]


def simulate(
    ranked: list[dict[str, Any]], asks: dict[str, list[list[str]]], days: list[str]
) -> dict[tuple[str, int, str], str]:
    """The published rule, written again: per day, requests in rank order, a child alone
    takes a free place or waits; children together take places only if all fit."""
    outcome: dict[tuple[str, int, str], str] = {}
    for day in days:
        free = CAPACITY
        for entry in ranked:
            request_id, together = entry["request_id"], entry["together"]
            kids = [k for k, dates in enumerate(asks[request_id]) if day in dates]
            if together and len(kids) > 1:
                placed = kids if free >= len(kids) else []
            else:
                placed = kids[:free]
            free -= len(placed)
            for k in kids:
                outcome[(request_id, k, day)] = "booked" if k in placed else "waiting"
    return outcome


def test_window_requests_allocated_by_lottery_then_a_place_offered_and_accepted_by_link(
    gateway: Any, portal: Any, run_id: str
) -> None:
    gw, staff = gateway, gateway.staff()
    today = paris_today()
    monday = today + timedelta(days=14 - today.weekday())
    days = [monday + timedelta(days=n) for n in range(3)]  # Monday to Wednesday
    iso_days = [d.isoformat() for d in days]

    # --- the town: an invoiced holiday activity, two places a day, priced -----------------
    activity = gw.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": f"Stage nature {run_id}",
            "type": "VACANCES",
            "site": "Centre du Lac",
            "period_from": iso_days[0],
            "period_to": iso_days[-1],
            "weekdays": [1, 2, 3],
            "school_time": False,
            "skip_public_holidays": False,
            "capacity": CAPACITY,
            "booking_deadline": {"days_before": 2, "at": "23:59"},
            "cancel_deadline": {"days_before": 2, "at": "23:59"},
        },
    )
    regie = gw.call(
        "POST",
        f"/billing{T}/regies",
        staff,
        {
            "code": f"FO{run_id.upper()}",
            "name": f"Régie vacances {run_id}",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@demo.example",
        },
    )
    gw.call(
        "PUT",
        f"/billing{T}/billing/activities/{activity['id']}",
        staff,
        {
            "regie_id": regie["id"],
            "name": activity["name"],
            "billing_mode": "prepaid",
            "unit": "day",
        },
    )
    gw.call(
        "POST",
        f"/billing{T}/billing/activities/{activity['id']}/price-grids",
        staff,
        {
            "valid_from": (today - timedelta(days=30)).isoformat(),
            "brackets": [{"qf_min": 0, "qf_max": None, "amounts": [PRICE]}],
        },
    )

    # --- four families, each child enrolled (no approval needed) --------------------------
    families: dict[str, dict[str, Any]] = {}
    for last_name, (first_names, together, criteria) in FAMILIES.items():
        email = f"fair-{last_name.lower()}-{run_id}@demo.example"
        # Each family from an address of its own: the gateway limits sign-ups and logins
        # per address, as for people at home.
        own = Api(portal(), gw.stack.url)
        family = new_family(own, gw.mailbox, email, name=f"Camille {last_name}")
        children = [
            {"first_name": first, "last_name": last_name, "birth_date": f"201{7 + n}-04-0{n + 1}"}
            for n, first in enumerate(first_names)
        ]
        household = gw.call(
            "POST",
            f"/family{T}/households",
            staff,
            household_of(email, "Camille", last_name, children),
        )
        gw.call(
            "POST", f"/family{T}/me/household/link", family, {"code": household["subscriber_code"]}
        )

        def linked(api: Api = own, login: str = email) -> dict[str, str] | None:
            headers = api.login(login)  # a token issued after the link names the household
            known = gw.answer("GET", f"/booking{T}/enrollments", headers).status == 200
            return headers if known else None

        family = eventually(linked, interval=1.0)
        kids = sorted(household["children"], key=lambda c: first_names.index(c["first_name"]))
        for kid in kids:
            eventually(
                lambda k=kid, f=family: (
                    gw.answer(
                        "POST",
                        f"/booking{T}/enrollments",
                        f,
                        {"child_id": k["id"], "activity_id": activity["id"]},
                    ).status
                    == 201
                )
            )
        families[last_name] = {
            "email": email,
            "headers": family,
            "children": kids,
            "together": together,
            "criteria": criteria,
        }

    # --- 1. the window: opening in a moment, closing seconds later ------------------------
    opens_at = datetime.now(UTC) + timedelta(seconds=3)
    closes_at = opens_at + timedelta(seconds=15)
    window = gw.call(
        "POST",
        f"/booking{T}/windows",
        staff,
        {
            "activity_id": activity["id"],
            "name": f"Vacances d'hiver {run_id}",
            "opens_at": opens_at.isoformat(),
            "closes_at": closes_at.isoformat(),
            "priority_rules": RULES,
            "first_come_after": True,
        },
        ok=(201,),
    )
    assert window["status"] == "scheduled" and window["seed"] is None
    assert window["days"] == iso_days
    published_hash = window["seed_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", published_hash)
    path = f"/booking{T}/windows/{window['id']}"

    # The window's days are not bookable first come until its allocation.
    richard = families["Richard"]
    basket = gw.call(
        "POST",
        f"/booking{T}/baskets",
        richard["headers"],
        {
            "lines": [
                {
                    "child_id": richard["children"][0]["id"],
                    "activity_id": activity["id"],
                    "dates": [iso_days[0]],
                }
            ]
        },
    )
    refused = gw.call(
        "POST", f"/booking{T}/baskets/{basket['id']}/validate", richard["headers"], {}
    )
    (line,) = refused["lines"]
    assert (line["outcome"], line["reason"]) == ("refused", "window_pending"), refused
    assert line["detail"].startswith(
        "Les places de ce jour seront attribuées au tirage au sort à la clôture des demandes"
    ), line

    # --- 2. the requests, while it is open ------------------------------------------------
    def opened() -> bool:
        seen = gw.answer("GET", path, richard["headers"])  # 404 to families until it opens
        return seen.status == 200 and seen.json()["status"] == "open"

    eventually(opened, timeout=15)
    for f in families.values():
        mine = gw.call(
            "PUT",
            f"{path}/requests/mine",
            f["headers"],
            {
                "children": [{"child_id": k["id"], "dates": iso_days} for k in f["children"]],
                "siblings_together": f["together"],
                "criteria": f["criteria"],
            },
        )
        assert mine["rank"] is None and mine["level"] is None, mine
        assert {d["outcome"] for k in mine["children"] for d in k["dates"]} == {None}
        f["request_id"] = mine["id"]
    assert datetime.now(UTC) < closes_at, "the requests took longer than the window"

    # --- 3. closed; the sweeper allocates it ---------------------------------------------
    allocated = eventually(
        lambda: (w := gw.call("GET", path, staff))["status"] == "allocated" and w,
        timeout=60,
        interval=1,
    )
    assert allocated["seed_hash"] == published_hash and allocated["requests"] == 4
    draw = gw.call("GET", f"{path}/draw", richard["headers"])
    seed = draw["seed"]
    assert hashlib.sha256(seed.encode()).hexdigest() == published_hash == draw["seed_hash"]
    assert [r["code"] for r in draw["rules"]] == ["resident", "both_parents_working"]
    assert {d["date"]: d["places"] for d in draw["days"]} == dict.fromkeys(iso_days, CAPACITY)
    by_request = {e["request_id"]: e for e in draw["entries"]}
    assert set(by_request) == {f["request_id"] for f in families.values()}
    expected_level = {"Bernard": 1, "Petit": 2, "Robert": 3, "Richard": 1}
    for last_name, f in families.items():
        entry = by_request[f["request_id"]]
        assert entry["level"] == expected_level[last_name], (last_name, entry)
        assert (
            entry["lottery_key"] == hashlib.sha256(f"{seed}:{f['request_id']}".encode()).hexdigest()
        )
        assert (entry["children"], entry["together"]) == (len(f["children"]), f["together"])
    ranked = sorted(draw["entries"], key=lambda e: (e["level"], e["lottery_key"]))
    assert [e["rank"] for e in ranked] == [1, 2, 3, 4], ranked
    asks = {f["request_id"]: [iso_days for _ in f["children"]] for f in families.values()}
    expected = simulate(ranked, asks, iso_days)

    booked_per_day = dict.fromkeys(iso_days, 0)
    for last_name, f in families.items():
        mine = gw.call("GET", f"{path}/requests/mine", f["headers"])
        entry = by_request[f["request_id"]]
        assert (mine["level"], mine["rank"], mine["entries"]) == (
            entry["level"],
            entry["rank"],
            4,
        ), mine
        assert mine["level_label"] == (
            RULES[entry["level"] - 1]["label"] if entry["level"] <= 2 else "Autres demandes"
        )
        f["outcomes"] = {}
        for k, kid in enumerate(f["children"]):
            (child,) = [c for c in mine["children"] if c["child_id"] == kid["id"]]
            got = {d["date"]: d for d in child["dates"]}
            assert sorted(got) == iso_days
            for day in iso_days:
                assert got[day]["outcome"] == expected[(f["request_id"], k, day)], (
                    last_name,
                    kid["first_name"],
                    day,
                    mine,
                    ranked,
                )
                assert (got[day]["waiting_position"] is None) == (got[day]["outcome"] == "booked")
                booked_per_day[day] += got[day]["outcome"] == "booked"
            f["outcomes"][kid["id"]] = got
        # The published counts per day agree with the family's own outcomes.
        for ask in entry["asks"]:
            outcomes = [f["outcomes"][k["id"]][ask["date"]]["outcome"] for k in f["children"]]
            assert (ask["children"], ask["booked"], ask["waiting"]) == (
                len(f["children"]),
                outcomes.count("booked"),
                outcomes.count("waiting"),
            )
    # Capacity respected, and filled: eight children-days asked a day, two places.
    assert booked_per_day == dict.fromkeys(iso_days, CAPACITY)
    bernard = families["Bernard"]
    for day in iso_days:  # the siblings asked together: both in or both waiting
        emma, hugo = (bernard["outcomes"][k["id"]][day]["outcome"] for k in bernard["children"])
        assert emma == hugo, (day, bernard["outcomes"])

    # Each family is emailed the draw's result; the days it gives send no recap.
    for f in families.values():
        message = gw.mailbox.wait_for(f["email"], "Résultat du tirage au sort")
        text = gw.mailbox.text(message)
        assert all(k["first_name"] in text for k in f["children"]), text
        gw.link(message, f"/reservations/fenetres/{window['id']}")
    time.sleep(2)  # the recap would be sent within half a second of its event
    for f in families.values():
        assert gw.mailbox.to(f["email"], "Confirmation de vos réservations") == []

    # Staff download the allocation from the back-office.
    office = portal()
    portal_login(office, STAFF)
    export = office.get(f"/gestion/fenetres/{window['id']}/export.csv")
    assert export.status == 200, export.text()[:300]
    assert export.headers["content-type"].startswith("text/csv")
    rows = export.text().splitlines()
    assert rows[0] == f"# graine: {seed} ; empreinte sha256: {published_hash}"
    assert rows[1].startswith("rang;niveau;")
    assert len(rows) == 2 + 5 * len(iso_days)  # five children, three days each

    # The days given are invoiced like any booking (one invoice per request).
    for f in families.values():
        given = sum(o[d]["outcome"] == "booked" for o in f["outcomes"].values() for d in iso_days)
        if not given:
            continue
        invoice = eventually(
            lambda f=f: next(
                (
                    i
                    for i in gw.call("GET", f"/billing{T}/invoices", f["headers"])["invoices"]
                    if i["basket_id"] == f["request_id"]
                ),
                None,
            )
        )
        assert invoice["total_cents"] == given * PRICE, invoice

    # --- 4. the waiting list by offers: a booked day cancelled, the place offered ---------
    gw.call(
        "PATCH",
        f"/booking{T}/activities/{activity['id']}",
        staff,
        {"waiting_list_mode": "offer", "offer_hours": 24},
    )
    day = iso_days[0]
    # A child booked that day cancels it (a single child's, when one is booked).
    leaving, leaving_child = min(
        (
            (f, k)
            for f in families.values()
            for k in f["children"]
            if f["outcomes"][k["id"]][day]["outcome"] == "booked"
        ),
        key=lambda found: len(found[0]["children"]),
    )
    (first_waiting,) = [
        (f, k)
        for f in families.values()
        for k in f["children"]
        if f["outcomes"][k["id"]][day]["waiting_position"] == 1
    ]
    offered_family, offered_child = first_waiting

    def offers_of(f: dict[str, Any]) -> list[dict[str, Any]]:
        found = gw.call("GET", f"/booking{T}/offers", f["headers"])["items"]
        return [o for o in found if o["activity_id"] == activity["id"]]

    cancel = gw.call(
        "POST",
        f"/booking{T}/baskets",
        leaving["headers"],
        {
            "lines": [
                {
                    "child_id": leaving_child["id"],
                    "activity_id": activity["id"],
                    "action": "cancel",
                    "dates": [day],
                }
            ]
        },
    )
    cancelled = gw.call(
        "POST", f"/booking{T}/baskets/{cancel['id']}/validate", leaving["headers"], {}
    )
    assert cancelled["cancelled"] == 1, cancelled

    message = gw.mailbox.wait_for(offered_family["email"], "Une place s'est libérée")
    assert offered_child["first_name"] in gw.mailbox.text(message)
    link = gw.link(message, "/offres/accepter/")  # opened: the page, nothing accepted
    (offer,) = offers_of(offered_family)
    assert (offer["status"], offer["child_id"], offer["date"]) == (
        "open",
        offered_child["id"],
        day,
    ), offer

    # On the portal, without logging in: the page shows a button; its POST accepts.
    anonymous = portal()
    page = anonymous.get(link)
    assert page.status == 200 and "Accepter la place" in page.text(), page.text()[:300]
    assert [o["status"] for o in offers_of(offered_family)] == ["open"]
    accepted = anonymous.post(link, form={"csrf_token": csrf_of(page.text())})
    assert accepted.status == 200 and "Place confirmée" in accepted.text(), accepted.text()[:500]
    (offer,) = offers_of(offered_family)
    assert offer["status"] == "accepted" and offer["answered_at"], offer
    month = f"{monday.year:04d}-{monday.month:02d}"
    calendar = gw.call(
        "GET",
        f"/booking{T}/children/{offered_child['id']}/calendar?month={month}"
        f"&activity_id={activity['id']}",
        offered_family["headers"],
    )
    (state,) = [d["state"] for a in calendar["activities"] for d in a["days"] if d["date"] == day]
    assert state == "booked_cancellable", calendar
    # Staff see the day's chain of offers: this one, accepted by the link (no account).
    chain = gw.call("GET", f"/booking{T}/activities/{activity['id']}/offers?day={day}", staff)
    assert chain["waiting_list_mode"] == "offer"
    assert [(o["id"], o["status"], o["answered_by"]) for o in chain["items"]] == [
        (offer["id"], "accepted", None)
    ], chain
    # The same link again: already used.
    again = anonymous.get(link)
    assert again.status == 200
    used = anonymous.post(link, form={"csrf_token": csrf_of(again.text())})
    assert used.status == 409 and "déjà" in used.text(), used.text()[:500]
    token = urlsplit(link).path.rsplit("/", 1)[1]
    r = gw.answer("POST", f"/booking{T}/offers/accept-by-link", {}, {"token": token})
    assert r.status == 409 and r.json()["type"].endswith("/offer-answered"), r.text()
    # The promoted day is invoiced on its own, as any promotion.
    promoted = eventually(
        lambda: next(
            (
                i
                for i in gw.call("GET", f"/billing{T}/invoices", offered_family["headers"])[
                    "invoices"
                ]
                if i["basket_id"] is None
            ),
            None,
        )
    )
    assert promoted["total_cents"] == PRICE, promoted

    # --- 5. the family turns its booking reminders off on /compte -------------------------
    preferences = f"/notify{T}/accounts/me/preferences"
    assert gw.call("GET", preferences, offered_family["headers"]) == {"booking_reminders": True}
    browser = portal()
    portal_login(browser, offered_family["email"])
    # (Its portal shows the draw it took part in, checked by the portal itself.)
    shown = browser.get(f"/reservations/fenetres/{window['id']}/tirage")
    assert shown.status == 200 and seed in shown.text(), shown.text()[:500]
    assert "Vérification faite par le portail" in shown.text()
    account = browser.get("/compte")
    assert account.status == 200 and "Rappels de réservation" in account.text()
    saved = browser.post("/compte/rappels", form={"csrf_token": csrf_of(account.text())})
    assert saved.status == 200 and "vous ne recevrez plus" in saved.text(), saved.text()[:500]
    assert gw.call("GET", preferences, offered_family["headers"]) == {"booking_reminders": False}
