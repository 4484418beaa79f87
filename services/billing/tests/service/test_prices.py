"""Régies, activities' billing, price grids, quotes and the price list, over HTTP, with the
QFs and children billing learns from family's events."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

T = "/tenants/epagny"


def school_days(start: date, count: int) -> list[str]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day.isoformat())
        day += timedelta(days=1)
    return days


async def test_regies_are_per_tenant_with_a_unique_code(billing):
    regie = await billing.regie()
    assert regie["code"] == "CANTINE" and regie["payment_delay_days"] == 15
    await billing.call("POST", f"{T}/regies", billing.staff(), {**billing_regie()}, 409)
    creche = await billing.regie(code="CRECHE", name="Régie petite enfance")
    changed = await billing.call(
        "PUT", f"{T}/regies/{creche['id']}", billing.staff(), {**billing_regie(), "code": "EAJE"}
    )
    assert changed["code"] == "EAJE"
    await billing.call(
        "PUT", f"{T}/regies/{creche['id']}", billing.staff(), {**billing_regie()}, 409
    )
    listed = await billing.get(f"{T}/regies")
    assert [r["code"] for r in listed["regies"]] == ["CANTINE", "EAJE"]
    # Families and other tenants do not manage régies.
    await billing.call("GET", f"{T}/regies", billing.family(uuid.uuid4()), status=403)
    await billing.call("GET", f"{T}/regies", billing.staff("annecy"), status=403)
    await billing.call("GET", f"{T}/regies/{uuid.uuid4()}", billing.staff(), status=404)


def billing_regie():
    return {
        "code": "CANTINE",
        "name": "Régie",
        "address": "Mairie",
        "email": "regie@example.fr",
    }


async def test_price_grids_are_checked_and_never_overlap(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie, grid=None)
    assert canteen["billing_mode"] == "prepaid" and canteen["units_per_booking"] == "1.00"
    first = await billing.grid(
        canteen,
        valid_from="2026-09-01",
        valid_to="2026-12-31",
        brackets=billing.BRACKETS,
        late_surcharge={"kind": "percent", "value": 10},
        non_resident_cents=650,
    )
    assert first["late_surcharge"] == {"kind": "percent", "value": "10.00"}
    await billing.grid(canteen, 409, valid_from="2026-12-01", brackets=billing.BRACKETS)
    gap = [{"qf_min": 0, "qf_max": 450, "amounts": [1]}, {"qf_min": 500, "amounts": [2]}]
    problem = await billing.grid(canteen, 422, valid_from="2027-01-01", brackets=gap)
    assert "sans trou" in problem["detail"]
    await billing.grid(canteen, 422, valid_from="2027-01-01")  # neither brackets nor rate
    effort = {"rate": "0.5", "min_cents": 150, "max_cents": 600}
    second = await billing.grid(canteen, valid_from="2027-01-01", effort=effort)
    assert second["effort"] == {"rate": "0.5000", "min_cents": 150, "max_cents": 600}
    grids = await billing.get(f"{T}/billing/activities/{canteen['activity_id']}/price-grids")
    assert [g["valid_from"] for g in grids["grids"]] == ["2026-09-01", "2027-01-01"]
    # Moving the first grid onto the second's period is refused; deleting it frees the period.
    body = {"valid_from": "2026-09-01", "brackets": billing.BRACKETS}
    await billing.call("PUT", f"{T}/price-grids/{first['id']}", billing.staff(), body, 409)
    await billing.call("DELETE", f"{T}/price-grids/{second['id']}", billing.staff(), status=204)
    await billing.call("PUT", f"{T}/price-grids/{first['id']}", billing.staff(), body)
    await billing.get(f"{T}/price-grids/{second['id']}", status=404)
    # An activity needs its régie; an unknown activity has no grids.
    await billing.call(
        "PUT",
        f"{T}/billing/activities/{uuid.uuid4()}",
        billing.staff(),
        {"regie_id": str(uuid.uuid4()), "name": "X", "billing_mode": "prepaid", "unit": "day"},
        404,
    )
    await billing.get(f"{T}/billing/activities/{uuid.uuid4()}/price-grids", status=404)


async def test_a_quote_prices_each_day_and_rounds_per_line(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    body = {
        "lines": [
            {
                "child_id": str(lea.child_id),
                "activity_id": canteen["activity_id"],
                "dates": school_days(date(2026, 9, 1), 17),
            }
        ]
    }
    quote = await billing.call("POST", f"{T}/quotes", billing.family(lea.household_id), body)
    (line,) = quote["lines"]
    assert (line["quantity"], line["unit_cents"], line["amount_cents"]) == ("17.00", 415, 7055)
    assert line["detail"] == "QF ≥ 801, enfant de rang 1"
    assert line["label"] == "Cantine — Léa"
    assert quote["total_cents"] == 7055 and quote["errors"] == []


async def test_quote_uses_rank_late_surcharge_unknown_qf_and_residence(billing):
    regie = await billing.regie()
    canteen = await billing.activity(
        regie,
        grid={
            "valid_from": "2026-09-01",
            "valid_to": "2026-12-31",
            "brackets": billing.BRACKETS,
            "late_surcharge": {"kind": "amount", "value": 100},
            "non_resident_cents": 650,
        },
    )
    lea = await billing.kid(qf=900, birth_date=date(2014, 1, 1))
    tom = await billing.kid(lea.household_id, first_name="Tom", birth_date=date(2019, 1, 1))
    days = ["2026-09-03", "2026-09-04"]

    def line(kid, **extra):
        return {
            "child_id": str(kid.child_id),
            "activity_id": canteen["activity_id"],
            "dates": days,
            **extra,
        }

    staff = billing.staff()
    body = {"household_id": str(lea.household_id), "lines": [line(lea), line(tom, late=True)]}
    quote = await billing.call("POST", f"{T}/quotes", staff, body)
    assert [(x["label"], x["unit_cents"], x["amount_cents"]) for x in quote["lines"]] == [
        ("Cantine — Léa", 415, 830),
        ("Cantine — Tom", 480, 960),  # second child 3,80 € + 1,00 € late
    ]
    assert quote["lines"][1]["detail"] == "QF ≥ 801, enfant de rang 2, hors délai +1,00 €"
    # Past the QF's validity: the maximum price. Past the grid: an error, not a price.
    later = {"household_id": str(lea.household_id), "lines": [line(lea, dates=["2027-01-04"])]}
    quote = await billing.call("POST", f"{T}/quotes", staff, later)
    assert quote["lines"] == [] and quote["errors"][0]["code"] == "price-grid-missing"
    await billing.grid(canteen, valid_from="2027-01-01", brackets=billing.BRACKETS)
    quote = await billing.call("POST", f"{T}/quotes", staff, later)
    assert quote["lines"][0]["unit_cents"] == 415
    assert quote["lines"][0]["detail"].startswith("QF inconnu : tarif maximum")
    # A household staff mark as living outside the town pays the non-resident rate.
    profile = {"resident": False, "payer_name": "Claire Martin", "payer_email": "c@example.fr"}
    path = f"{T}/billing/households/{lea.household_id}/profile"
    await billing.call("PUT", path, staff, profile)
    quote = await billing.call("POST", f"{T}/quotes", staff, body)
    assert [x["unit_cents"] for x in quote["lines"]] == [650, 750]
    assert (await billing.get(path, billing.family(lea.household_id)))["resident"] is False
    await billing.call("GET", path, billing.family(uuid.uuid4()), status=403)
    # Staff must say whose prices; an unconfigured activity is an error line.
    await billing.call("POST", f"{T}/quotes", staff, {"lines": body["lines"]}, 422)
    other = {"lines": [{**line(lea), "activity_id": str(uuid.uuid4())}]}
    quote = await billing.call("POST", f"{T}/quotes", billing.family(lea.household_id), other)
    assert {e["code"] for e in quote["errors"]} == {"activity-not-configured"}


async def test_a_family_sees_the_price_list_with_its_own_price(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=600)
    path = f"{T}/price-list?date=2026-09-10"
    body = await billing.get(path, billing.family(lea.household_id))
    (item,) = body["activities"]
    assert item["activity_id"] == canteen["activity_id"] and item["unit"] == "meal"
    assert item["grid"]["brackets"][2] == {"qf_min": 801, "qf_max": None, "amounts": [415, 380]}
    assert item["your_price"] == {"unit_cents": 250, "detail": "QF 451 à 800, enfant de rang 1"}
    unknown = await billing.get(path, billing.family(uuid.uuid4()))
    assert unknown["activities"][0]["your_price"]["unit_cents"] == 415  # QF unknown: maximum
    staff = await billing.get(path)
    assert staff["activities"][0]["your_price"] is None
    assert (await billing.get(f"{T}/price-list?date=2026-08-01"))["activities"] == []
    anonymous = await billing.client.get(path)
    assert anonymous.status == 401
