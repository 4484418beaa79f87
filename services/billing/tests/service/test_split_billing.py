"""Split billing for separated parents: staff name each parent as a payer of the household
(their own address, their family account) and set a rule per child; each booked day goes to
its payer's invoice (prepaid baskets and campaigns), and each parent sees, downloads and is
accountable for their own documents only."""

from __future__ import annotations

import uuid
from datetime import date

from shared.events.envelope import parse_event
from shared.testing.bus import eventually

T = "/tenants/epagny"


async def linked(billing, household_id):
    account_id = uuid.uuid4()
    await billing.deliver(
        billing.family_event(
            "family.HouseholdLinked",
            household_id=household_id,
            account_id=account_id,
            linked_by="subscriber_code",
        )
    )
    header = billing.tokens.header(
        tenant=billing.TENANT,
        roles=("family",),
        household_id=str(household_id),
        account_id=str(account_id),
    )
    return account_id, header


async def parents(billing, household_id):
    """Mum and dad, each a payer of the household tied to their own account."""
    staff = billing.staff()
    mum_account, mum = await linked(billing, household_id)
    dad_account, dad = await linked(billing, household_id)
    base = f"{T}/billing/households/{household_id}/payers"
    mum_payer = await billing.call(
        "POST",
        base,
        staff,
        {
            "name": "Claire Martin",
            "address": "3 rue des Lilas\n74330 Epagny",
            "email": "claire@example.org",
            "account_id": str(mum_account),
        },
        201,
    )
    dad_payer = await billing.call(
        "POST",
        base,
        staff,
        {"name": "Simon Martin", "address": "8 avenue de Genève\n74000 Annecy"},
        201,
    )
    # Dad's account tied afterwards; an account can be only one payer's, of its household.
    dad_payer = await billing.call(
        "PUT",
        f"{T}/billing/payers/{dad_payer['id']}",
        staff,
        {**{k: dad_payer[k] for k in ("name", "address", "email")}, "account_id": str(dad_account)},
    )
    return mum_payer, mum, dad_payer, dad


async def test_a_split_custody_child_billed_to_two_payers_who_each_see_only_theirs(billing):
    staff = billing.staff()
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    evening = await billing.activity(regie, mode="postpaid", name="Accueil du soir", unit="day")
    lea = await billing.kid(qf=900, birth_date=date(2016, 1, 1))
    tom = await billing.kid(lea.household_id, first_name="Tom", birth_date=date(2020, 1, 1))
    mum_payer, mum, dad_payer, dad = await parents(billing, lea.household_id)
    rules = f"{T}/billing/households/{lea.household_id}/billing-rules"
    # Léa: alternate weeks, the week of 7 September is mum's. Tom: 60 % mum, 40 % dad.
    await billing.call(
        "POST",
        rules,
        staff,
        {
            "child_id": str(lea.child_id),
            "effective_from": "2026-09-01",
            "kind": "alternate_weeks",
            "payer_a": mum_payer["id"],
            "payer_b": dad_payer["id"],
            "reference_week": "2026-09-09",
        },
        201,
    )
    await billing.call(
        "POST",
        rules,
        staff,
        {
            "child_id": str(tom.child_id),
            "effective_from": "2026-09-01",
            "kind": "percentage",
            "payer_a": mum_payer["id"],
            "payer_b": dad_payer["id"],
            "percent_a": "60",
        },
        201,
    )
    listed = (await billing.get(rules, dad))["rules"]
    assert sorted((r["kind"], r["payer_a_name"], r["payer_b_name"]) for r in listed) == [
        ("alternate_weeks", "Claire Martin", "Simon Martin"),
        ("percentage", "Claire Martin", "Simon Martin"),
    ]
    assert {r["reference_week"] for r in listed} == {"2026-09-07", None}

    # A prepaid basket: Léa's days go to each parent's invoice by week.
    basket = billing.validated(
        lea, canteen, date(2026, 9, 8), date(2026, 9, 15), date(2026, 9, 22), date(2026, 8, 31)
    )
    await billing.publish(basket)

    async def two():
        rows = await billing.invoices()
        return rows if len(rows) == 2 else None

    invoices = await eventually(two)
    by_payer = {i["payer_id"]: i for i in invoices}
    mum_invoice, dad_invoice = by_payer[mum_payer["id"]], by_payer[dad_payer["id"]]
    assert [(x["quantity"], x["amount_cents"]) for x in mum_invoice["lines"]] == [("2.00", 830)]
    assert [(x["quantity"], x["amount_cents"]) for x in dad_invoice["lines"]] == [("1.00", 415)]
    assert mum_invoice["basket_id"] == dad_invoice["basket_id"]
    assert mum_invoice["payer"] == {
        "name": "Claire Martin",
        "address": "3 rue des Lilas\n74330 Epagny",
        "email": "claire@example.org",
    }
    assert dad_invoice["payer"]["address"] == "8 avenue de Genève\n74000 Annecy"
    # 31 August comes before the rule, and before any price grid: not billed.
    issued = await billing.events("billing.InvoiceIssued", 2)
    assert {e["payload"]["payer_id"] for e in issued} == {mum_payer["id"], dad_payer["id"]}
    # Each event names its payer's account: notify tells that parent alone.
    assert {(e["payload"]["payer_id"], e["payload"]["payer_account_id"]) for e in issued} == {
        (mum_payer["id"], mum_payer["account_id"]),
        (dad_payer["id"], dad_payer["account_id"]),
    }

    # Each parent sees, downloads and is accountable for their own only.
    assert [i["id"] for i in await billing.invoices(mum)] == [mum_invoice["id"]]
    assert [i["id"] for i in await billing.invoices(dad)] == [dad_invoice["id"]]
    await billing.get(f"{T}/invoices/{dad_invoice['id']}", mum, status=404)
    await billing.get(f"{T}/invoices/{mum_invoice['id']}", dad, status=404)
    r = await billing.client.get(f"{T}/invoices/{dad_invoice['id']}/pdf", headers=mum)
    assert r.status == 404
    r = await billing.client.get(f"{T}/invoices/{dad_invoice['id']}/pdf", headers=dad)
    assert r.status == 200 and (await r.read()).startswith(b"%PDF-")
    # Another account of the household, tied to no payer, sees the joint documents only.
    _, other = await linked(billing, lea.household_id)
    assert await billing.invoices(other) == []

    # Dad's week cancelled in time: a credit note for dad, which mum does not see.
    days = billing.booked(basket)
    dads_day = [d for d in days if d["date"] == date(2026, 9, 15)]
    await billing.deliver(billing.cancelled(lea, canteen, dads_day, charged=False))
    (note,) = (await billing.get(f"{T}/credit-notes", dad))["credit_notes"]
    assert (note["payer_id"], note["total_cents"]) == (dad_payer["id"], 415)
    assert note["payer"]["name"] == "Simon Martin"
    (credited,) = await billing.events("billing.CreditNoteIssued")
    assert credited["payload"]["payer_account_id"] == dad_payer["account_id"]
    assert (await billing.get(f"{T}/credit-notes", mum))["credit_notes"] == []
    await billing.get(f"{T}/credit-notes/{note['id']}", mum, status=404)

    # A campaign: Tom's evening days (3,80 €, second child) shared 60/40, an invoice each.
    await billing.deliver(billing.validated(tom, evening, date(2026, 9, 8), date(2026, 9, 15)))
    campaign = await billing.call(
        "POST",
        f"{T}/campaigns",
        staff,
        {"regie_id": regie["id"], "period_from": "2026-09-01", "period_to": "2026-09-30"},
        201,
    )
    assert campaign["invoice_count"] == 2 and campaign["draft_cents"] == 760
    await billing.call("POST", f"{T}/campaigns/{campaign['id']}/finalise", staff)
    (mum_share,) = await billing.invoices(mum, campaign_id=campaign["id"])
    (dad_share,) = await billing.invoices(dad, campaign_id=campaign["id"])
    assert [(x["unit_cents"], x["amount_cents"], x["detail"]) for x in mum_share["lines"]] == [
        (228, 456, "QF ≥ 801, enfant de rang 2, part de 60 %")
    ]
    # Dad's share is 40 %; his credit note is deducted from it.
    assert [(x["kind"], x["amount_cents"]) for x in dad_share["lines"]] == [
        ("charge", 304),
        ("credit", -304),
    ]
    assert (dad_share["total_cents"], dad_share["remaining_cents"]) == (304, 0)

    # Accounts: each parent's own ledger; the other's is not found.
    mum_account = await billing.get(f"{T}/billing/payers/{mum_payer['id']}/account", mum)
    assert mum_account["balance_cents"] == 830 + 456
    dad_account = await billing.get(f"{T}/billing/payers/{dad_payer['id']}/account", dad)
    assert dad_account["balance_cents"] == 415 - 415 + 304
    await billing.get(f"{T}/billing/payers/{dad_payer['id']}/account", mum, status=404)
    staff_view = await billing.get(f"{T}/billing/payers/{dad_payer['id']}/account")
    assert staff_view["balance_cents"] == dad_account["balance_cents"]
    # Payers: a parent sees the household and themself, not the other's address.
    seen = (await billing.get(f"{T}/billing/households/{lea.household_id}/payers", mum))["payers"]
    assert [(p["kind"], p["name"]) for p in seen] == [
        ("household", "Claire Martin et Simon Martin"),
        ("guardian", "Claire Martin"),
    ]
    everyone = (await billing.get(f"{T}/billing/households/{lea.household_id}/payers"))["payers"]
    assert len(everyone) == 3
    # The childcare certificate of each parent covers their own share (Tom is under 6).
    r = await billing.client.get(
        f"{T}/billing/households/{lea.household_id}/certificates/childcare?year=2026",
        headers=dad,
    )
    assert r.status == 200
    staff_household = await billing.client.get(
        f"{T}/billing/households/{lea.household_id}/certificates/childcare"
        f"?year=2026&payer_id={lea.household_id}",
        headers=staff,
    )
    assert staff_household.status == 404  # nothing was billed jointly


async def test_payers_and_rules_are_checked(billing):
    staff = billing.staff()
    lea = await billing.kid()
    other = await billing.kid(first_name="Max")
    base = f"{T}/billing/households/{lea.household_id}"
    account, _ = await linked(billing, lea.household_id)
    foreign_account, _ = await linked(billing, other.household_id)
    payer = {"name": "Claire Martin"}
    await billing.call(
        "POST", f"{base}/payers", staff, {**payer, "account_id": str(foreign_account)}, 422
    )
    await billing.call(
        "POST", f"{base}/payers", staff, {**payer, "account_id": str(uuid.uuid4())}, 422
    )
    mum = await billing.call(
        "POST", f"{base}/payers", staff, {**payer, "account_id": str(account)}, 201
    )
    await billing.call("POST", f"{base}/payers", staff, {**payer, "account_id": str(account)}, 409)
    dad = await billing.call("POST", f"{base}/payers", staff, {"name": "Simon Martin"}, 201)
    await billing.call("POST", f"{T}/billing/households/{uuid.uuid4()}/payers", staff, payer, 404)
    await billing.call("PUT", f"{T}/billing/payers/{uuid.uuid4()}", staff, payer, 404)
    rule = {
        "child_id": str(lea.child_id),
        "effective_from": "2026-09-01",
        "kind": "weekdays",
        "payer_a": mum["id"],
        "payer_b": dad["id"],
        "weekdays": [1, 2, 3],
    }
    await billing.call("POST", f"{base}/billing-rules", staff, {**rule, "weekdays": None}, 422)
    await billing.call(
        "POST", f"{base}/billing-rules", staff, {**rule, "child_id": str(other.child_id)}, 404
    )
    other_payer = await billing.call(
        "POST", f"{T}/billing/households/{other.household_id}/payers", staff, payer, 201
    )
    await billing.call(
        "POST", f"{base}/billing-rules", staff, {**rule, "payer_b": other_payer["id"]}, 422
    )
    created = await billing.call("POST", f"{base}/billing-rules", staff, rule, 201)
    assert created["weekdays"] == [1, 2, 3]
    await billing.call("POST", f"{base}/billing-rules", staff, rule, 409)
    family = billing.family(lea.household_id)
    await billing.call("POST", f"{base}/billing-rules", family, rule, 403)
    await billing.get(f"{base}/billing-rules", billing.family(other.household_id), status=403)
    await billing.call("DELETE", f"{T}/billing/billing-rules/{created['id']}", staff, status=204)
    await billing.call("DELETE", f"{T}/billing/billing-rules/{created['id']}", staff, status=404)
    # Back to the household from a date: a single rule naming the household itself.
    await billing.call(
        "POST",
        f"{base}/billing-rules",
        staff,
        {
            "child_id": str(lea.child_id),
            "effective_from": "2027-01-01",
            "kind": "single",
            "payer_a": str(lea.household_id),
        },
        201,
    )


async def test_a_day_is_never_charged_twice_whatever_the_rules_say_when_it_comes_again(billing):
    staff = billing.staff()
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    first = billing.validated(lea, canteen, date(2026, 9, 3), date(2026, 9, 4))
    await billing.deliver(first)

    async def issued(count):
        async def found():
            rows = await billing.invoices()
            return rows if len(rows) >= count else None

        return await eventually(found)

    (whole,) = await issued(1)
    assert whole["payer_id"] == str(lea.household_id) and whole["total_cents"] == 830
    base = f"{T}/billing/households/{lea.household_id}"
    dad = await billing.call("POST", f"{base}/payers", staff, {"name": "Simon Martin"}, 201)
    rule = await billing.call(
        "POST",
        f"{base}/billing-rules",
        staff,
        {
            "child_id": str(lea.child_id),
            "effective_from": "2026-09-01",
            "kind": "percentage",
            "payer_a": str(lea.household_id),
            "payer_b": dad["id"],
            "percent_a": "50",
        },
        201,
    )
    # The same days again (a replay under a new id), now that the rule shares them: the
    # household was charged them whole already, nothing more is charged.
    replay = billing.booking_event(
        "booking.ReservationValidated", **parse_event(first.to_json()).payload
    )
    await billing.deliver(replay)
    # New days are shared; replayed once the rule is gone, they are not charged again.
    second = billing.validated(lea, canteen, date(2026, 9, 7))
    await billing.deliver(second)
    invoices = await issued(3)
    assert sorted(i["total_cents"] for i in invoices) == [207, 208, 830]  # 4,15 € shared
    await billing.call("DELETE", f"{T}/billing/billing-rules/{rule['id']}", staff, status=204)
    await billing.deliver(
        billing.booking_event(
            "booking.ReservationValidated", **parse_event(second.to_json()).payload
        )
    )
    assert await billing.pool.fetchval("SELECT count(*) FROM charges") == 4
    assert len(await billing.invoices()) == 3


async def test_a_households_own_invoice_names_no_payer_account(billing):
    """No split: the household pays, its event names no account (every guardian is told)."""
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900, birth_date=date(2016, 1, 1))
    await linked(billing, lea.household_id)
    await billing.publish(billing.validated(lea, canteen, date(2026, 9, 8)))
    (issued,) = await billing.events("billing.InvoiceIssued")
    assert issued["payload"]["payer_id"] == str(lea.household_id)
    assert issued["payload"]["payer_account_id"] is None
