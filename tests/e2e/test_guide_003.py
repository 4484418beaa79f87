"""Guide 003 through the gateway only: the family activates its wallet (« la tirelire ») and
tops it up by card on the payment page; enrolls its two children in the Wednesday club paid
from the wallet, and the elder in nothing it is too young for (« activité non disponible »:
refused, said why); books days paid from the wallet; the calendar shows the legend's states
(booked, waiting list, full, booking deadline passed, a day staff closed, bookable); a basket
the wallet cannot pay is released and the family emailed to top it up."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.testing.browser import (
    TENANT,
    eventually,
    household_of,
    new_family,
    paris_today,
)

T = f"/tenants/{TENANT}"
PRICE = 500  # a day, whatever the quotient
TOP_UP = 2 * PRICE


def test_wallet_topped_up_days_paid_from_it_calendar_states_and_refusals(
    gateway: Any, run_id: str
) -> None:
    gw, staff = gateway, gateway.staff()
    today = paris_today()
    day = [today + timedelta(days=n) for n in range(10)]  # day[1]: tomorrow

    # --- the town: a régie holding the wallets, an activity paid from them ----------------
    regie = gw.call(
        "POST",
        f"/billing{T}/regies",
        staff,
        {
            "code": f"TIR{run_id.upper()}",
            "name": f"Régie enfance {run_id}",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "regie@demo.example",
        },
    )
    # One régie holds the town's wallets, for good (whichever journey designates it first).
    settings = gw.call("GET", f"/billing{T}/billing/wallet-settings", staff)
    if settings["regie_id"] is None:
        settings = gw.call(
            "PUT", f"/billing{T}/billing/wallet-settings", staff, {"regie_id": regie["id"]}
        )
    for regie_id in {regie["id"], settings["regie_id"]}:
        gw.call(
            "PUT",
            f"/billing{T}/regies/{regie_id}/card-payment",
            staff,
            {"backend": "dummy", "options": {"origin": "Portail Famille"}},
        )
    common = {
        "type": "MERCREDI",
        "site": "Centre du Lac",
        "period_from": day[1].isoformat(),
        "period_to": day[9].isoformat(),
        "weekdays": [1, 2, 3, 4, 5, 6, 7],
        "school_time": False,
        "skip_public_holidays": False,
        "booking_deadline": {"days_before": 2, "at": "23:59"},
        "cancel_deadline": {"days_before": 2, "at": "23:59"},
    }
    club = gw.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {**common, "name": f"Club loisirs {run_id}", "capacity": 1, "min_age": 3},
    )
    ados = gw.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {**common, "name": f"Espace ados {run_id}", "capacity": 10, "min_age": 12},
    )
    gw.call(
        "PUT",
        f"/billing{T}/billing/activities/{club['id']}",
        staff,
        {
            "regie_id": regie["id"],
            "name": club["name"],
            "billing_mode": "prepaid",
            "unit": "day",
            "payment": "wallet",
        },
    )
    gw.call(
        "POST",
        f"/billing{T}/billing/activities/{club['id']}/price-grids",
        staff,
        {
            "valid_from": (today - timedelta(days=30)).isoformat(),
            "brackets": [{"qf_min": 0, "qf_max": None, "amounts": [PRICE]}],
        },
    )
    eventually(  # booking learnt it (billing.ActivityPaymentSet)
        lambda: gw.call("GET", f"/booking{T}/activities/{club['id']}", staff)["payment"] == "wallet"
    )
    # A day staff close (« fermé »).
    gw.call(
        "POST",
        f"/booking{T}/activities/{club['id']}/days/{day[6].isoformat()}/close",
        staff,
        {"reason": "Sortie du personnel en formation."},
    )

    # --- the family: its account, its household of two children ---------------------------
    email = f"guide003-{run_id}@demo.example"
    family = new_family(gw, gw.mailbox, email, name="Sophie Lambert")
    children = [
        {"first_name": first, "last_name": "Lambert", "birth_date": born, "sex": sex}
        for first, born, sex in (("Léa", "2017-03-02", "F"), ("Tom", "2019-09-15", "M"))
    ]
    household = gw.call(
        "POST", f"/family{T}/households", staff, household_of(email, "Sophie", "Lambert", children)
    )
    gw.call("POST", f"/family{T}/me/household/link", family, {"code": household["subscriber_code"]})
    family = gw.session_with_household(email)
    lea, tom = sorted(household["children"], key=lambda c: c["first_name"])
    wallet = f"/billing{T}/billing/households/{household['id']}/wallet"

    # --- « Activer son compte famille & alimenter son porte-monnaie » ---------------------
    eventually(lambda: gw.answer("POST", wallet, family).status in (200, 201))
    assert gw.call("GET", wallet, family)["balance_cents"] == 0
    started = gw.call(
        "POST", f"{wallet}/top-ups", family, {"amount_cents": TOP_UP, "email": email}, ok=(201,)
    )
    back = gw.pay_on_the_card_page(started["payment_url"])
    assert back.startswith(gw.stack.url), back  # to the portal's return page
    eventually(lambda: gw.call("GET", wallet, family)["balance_cents"] == TOP_UP)
    message = gw.mailbox.wait_for(email, "Votre tirelire a été rechargée de 10,00")
    gw.link(message, "/tirelire")
    (movement,) = gw.call("GET", f"{wallet}/movements", family)["movements"]
    assert (movement["kind"], movement["amount_cents"]) == ("top_up", TOP_UP)

    # --- enrollments: the club for both; the teenagers' space refused for age ---------------
    for child in (lea, tom):
        eventually(
            lambda c=child: (
                gw.answer(
                    "POST",
                    f"/booking{T}/enrollments",
                    family,
                    {"child_id": c["id"], "activity_id": club["id"]},
                ).status
                == 201
            )
        )
    too_young = gw.answer(
        "POST",
        f"/booking{T}/enrollments",
        family,
        {"child_id": lea["id"], "activity_id": ados["id"]},
    )
    assert too_young.status == 422 and "trop jeune" in too_young.text(), too_young.text()

    def validate(child: dict[str, Any], days: list[date], **line: Any) -> dict[str, Any]:
        basket = gw.call(
            "POST",
            f"/booking{T}/baskets",
            family,
            {
                "lines": [
                    {
                        "child_id": child["id"],
                        "activity_id": club["id"],
                        "dates": [d.isoformat() for d in days],
                        **line,
                    }
                ]
            },
        )
        return gw.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})

    def calendar(child: dict[str, Any]) -> dict[date, dict[str, Any]]:
        """The child's days of the club in the calendar, over the months of `day`."""
        found: dict[date, dict[str, Any]] = {}
        for month in sorted({f"{d.year:04d}-{d.month:02d}" for d in day}):
            body = gw.call(
                "GET",
                f"/booking{T}/children/{child['id']}/calendar?month={month}"
                f"&activity_id={club['id']}",
                family,
            )
            for activity in body["activities"]:
                found.update({date.fromisoformat(d["date"]): d for d in activity["days"]})
        return found

    def states(child: dict[str, Any]) -> dict[date, str]:
        return {d: found["state"] for d, found in calendar(child).items()}

    def days_of(child: dict[str, Any], *wanted: date) -> list[dict[str, Any]]:
        return [found for d, found in calendar(child).items() if d in wanted]

    # --- Léa's two days, paid from the wallet: held, then confirmed once debited -----------
    held = validate(lea, [day[3], day[4]])
    assert (held["confirmed"], held["held"]) == (2, 2), held
    assert {line["payment"] for line in held["lines"]} == {"wallet"}
    # billing debits the wallet (billing.WalletDebited), booking confirms the days.
    eventually(lambda: gw.call("GET", wallet, family)["balance_cents"] == 0)
    eventually(lambda: not any(d["held"] for d in days_of(lea, day[3], day[4])))
    assert {d["state"] for d in days_of(lea, day[3], day[4])} == {"booked_cancellable"}

    # --- Tom: day 3 is full, he waits; the calendar's legend ------------------------------
    waiting = validate(tom, [day[3]])
    assert waiting["waiting_list"] == 1, waiting
    seen = states(tom)
    assert seen[day[1]] == "deadline_passed"  # « sens interdit »: too late to book
    assert seen[day[3]] == "waiting_list"
    assert seen[day[4]] == "full"
    assert seen[day[5]] == "bookable"
    assert seen[day[6]] == "closed"  # the day staff closed
    (tom_day3,) = days_of(tom, day[3])
    assert tom_day3["waiting_position"] == 1

    # --- a day the wallet cannot pay: held, refused by billing, released, emailed ---------
    unpaid = validate(lea, [day[5]])
    assert unpaid["held"] == 1, unpaid
    # Released: shown as cancelled (« pas de majoration »), the place free for others.
    eventually(lambda: states(lea)[day[5]] == "cancelled", message=lambda: states(lea))
    assert states(tom)[day[5]] == "bookable"
    message = gw.mailbox.wait_for(email, "Réservations non payées libérées pour Léa")
    assert "rechargez votre tirelire" in gw.mailbox.text(message).lower()
    gw.link(message, "/tirelire")
    assert gw.call("GET", wallet, family)["balance_cents"] == 0  # never below zero
    movements = gw.call("GET", f"{wallet}/movements", family)["movements"]
    debited = [m["amount_cents"] for m in movements if m["kind"] == "debit"]
    assert sum(debited) == -2 * PRICE, movements  # Léa's two days only, once
