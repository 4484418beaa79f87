"""Places held until paid (issue 12): days of activities paid at booking or from the wallet
take their place held; billing's answers (published here as billing's relay would) confirm
or release them; the sweeper releases unpaid at_booking holds; releasing moves the waiting
list up and never overbooks, whatever races it."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from booking import store
from booking.commands import release_expired_holds
from booking.usecases import holds
from shared.events.envelope import Event, new_event, parse_event
from shared.testing.bus import eventually
from shared.uow import unit_of_work

from ..conftest import NOW, TENANT, consuming, publish

Town = Any
DUE_IN = 20  # minutes an at_booking hold lasts in these tests
FAST_SWEEP = pytest.mark.parametrize(
    "booking_settings", [{"hold_sweep_seconds": 0.1}], indirect=True, ids=["sweep-0.1s"]
)


# --- billing's events, as its relay publishes them --------------------------------------


def billing_event(type: str, payload: dict[str, Any]) -> Event:
    return new_event(type, payload, tenant_id=TENANT, producer="billing")


async def handled(town: Town, event: Event) -> None:
    """Wait until booking applied the event (its inbox row is written with the change)."""

    async def done() -> Any:
        return await town.pool.fetchval("SELECT true FROM inbox WHERE event_id = $1", event.id)

    await eventually(done)


async def deliver(town: Town, event: Event) -> Event:
    await publish(town, event)
    await handled(town, event)
    return event


async def set_payment(
    town: Town, activity: dict[str, Any], payment: str, hold_minutes: int = DUE_IN
) -> Event:
    return await deliver(
        town,
        billing_event(
            "billing.ActivityPaymentSet",
            {"activity_id": activity["id"], "payment": payment, "hold_minutes": hold_minutes},
        ),
    )


async def paid_activity(town: Town, payment: str, **extra: Any) -> dict[str, Any]:
    activity = await town.activity(**extra)
    await set_payment(town, activity, payment)
    return activity


async def activate_wallet(town: Town, household_id: Any) -> None:
    await deliver(
        town,
        billing_event(
            "billing.WalletActivated",
            {"household_id": household_id, "account_id": None, "balance_cents": 5000},
        ),
    )


def wallet_answer(type: str, result: dict[str, Any], kid: dict[str, Any], **extra: Any) -> Event:
    return billing_event(
        type,
        {
            "household_id": kid["household_id"],
            "basket_id": result["basket_id"],
            "booking_ids": [x["booking_id"] for x in result["lines"] if x["held"]],
            "amount_cents": 1840,
            "balance_cents": 320,
            **extra,
        },
    )


def payment_received(kid: dict[str, Any], basket_id: Any, remaining_cents: int = 0) -> Event:
    return billing_event(
        "billing.PaymentReceived",
        {
            "payment_id": uuid.uuid4(),
            "regie_id": uuid.uuid4(),
            "regie_name": "Régie enfance",
            "household_id": kid["household_id"],
            "payer_id": uuid.uuid4(),
            "number": "Q-2026-000001",
            "method": "card",
            "amount_cents": 1500,
            "received_on": date(2026, 9, 1),
            "allocations": [
                {  # an invoice of no basket, settled by the same payment
                    "invoice_id": uuid.uuid4(),
                    "invoice_number": "F-2026-000011",
                    "basket_id": None,
                    "amount_cents": 300,
                    "remaining_cents": 0,
                },
                {
                    "invoice_id": uuid.uuid4(),
                    "invoice_number": "F-2026-000012",
                    "basket_id": basket_id,
                    "amount_cents": 1200,
                    "remaining_cents": remaining_cents,
                },
            ],
            "credit_cents": 0,
        },
    )


def invoice_issued(kid: dict[str, Any], basket_id: Any, amount_due_cents: int) -> Event:
    return billing_event(
        "billing.InvoiceIssued",
        {
            "regie_id": uuid.uuid4(),
            "regie_name": "Régie enfance",
            "household_id": kid["household_id"],
            "payer_id": uuid.uuid4(),
            "number": "F-2026-000013",
            "issue_date": date(2026, 9, 1),
            "total_cents": 1200,
            "invoice_id": uuid.uuid4(),
            "origin": "basket",
            "basket_id": basket_id,
            "campaign_id": None,
            "due_date": date(2026, 9, 1),
            "credit_cents": 1200 - amount_due_cents,
            "amount_due_cents": amount_due_cents,
        },
    )


def payment_refused(kid: dict[str, Any], basket_ids: list[Any]) -> Event:
    return billing_event(
        "billing.PaymentRefused",
        {
            "transaction_id": uuid.uuid4(),
            "regie_id": uuid.uuid4(),
            "household_id": kid["household_id"],
            "amount_cents": 1200,
            "invoice_ids": [uuid.uuid4()],
            "basket_ids": basket_ids,
            "outcome": "refused",
        },
    )


# --- reads --------------------------------------------------------------------------------


async def holds_of(town: Town, kid: dict[str, Any], basket_id: Any) -> dict[str, tuple]:
    """The basket's held days as its family reads them: date → (hold, release reason)."""
    body = await town.call(
        "GET", f"/tenants/{TENANT}/baskets/{basket_id}", town.family(kid["household_id"])
    )
    return {h["date"]: (h["hold"], h["release_reason"]) for h in body["holds"]}


async def occupancy(town: Town, activity: dict[str, Any], *days: str) -> dict[str, tuple]:
    body = await town.call(
        "GET",
        f"/tenants/{TENANT}/activities/{activity['id']}/days?from={min(days)}&to={max(days)}",
        town.staff(),
    )
    return {d["date"]: (d["booked"], d["waiting"]) for d in body["days"] if d["date"] in days}


async def booking_row(town: Town, booking_id: Any) -> dict[str, Any]:
    row = await store.get_booking(town.pool, TENANT, uuid.UUID(str(booking_id)))
    assert row is not None
    return row


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- holding --------------------------------------------------------------------------------


async def test_days_paid_at_booking_are_held_with_their_places(town: Town) -> None:
    await consuming(town.client)
    activity = await paid_activity(town, "at_booking", capacity=2)
    body = await town.call("GET", f"/tenants/{TENANT}/activities/{activity['id']}", town.staff())
    assert (body["payment"], body["hold_minutes"]) == ("at_booking", DUE_IN)
    kid = await town.enrolled_child(activity)
    result = await town.book(kid, activity, "2026-09-17", "2026-09-18")
    due = NOW + timedelta(minutes=DUE_IN)
    assert (result["confirmed"], result["held"]) == (2, 2)
    assert when(result["payment_due_at"]) == due
    for line in result["lines"]:
        assert (line["outcome"], line["held"], line["payment"]) == ("confirmed", True, "at_booking")
        assert when(line["payment_due_at"]) == due
    (validated,) = await town.events("booking.ReservationValidated")
    payload = parse_event(validated).payload
    assert (payload["payment"], payload["payment_due_at"]) == ("at_booking", due)
    assert [d["date"] for d in payload["dates"]] == [date(2026, 9, 17), date(2026, 9, 18)]
    # The places are taken and counted; the basket and the calendar show until when.
    assert await occupancy(town, activity, "2026-09-17", "2026-09-18") == {
        "2026-09-17": (1, 0),
        "2026-09-18": (1, 0),
    }
    assert await holds_of(town, kid, result["basket_id"]) == {
        "2026-09-17": ("held", None),
        "2026-09-18": ("held", None),
    }
    calendar = await town.call(
        "GET",
        f"/tenants/{TENANT}/children/{kid['id']}/calendar?month=2026-09",
        town.family(kid["household_id"]),
    )
    days = {d["date"]: d for d in calendar["activities"][0]["days"]}
    assert days["2026-09-17"]["held"] and when(days["2026-09-17"]["payment_due_at"]) == due
    assert not days["2026-09-21"]["held"] and days["2026-09-21"]["payment_due_at"] is None

    # An activity invoiced as before: nothing held, the event says nothing of a payment.
    invoiced = await town.activity(name="Cantine", type="CANTINE")
    other = await town.enrolled_child(invoiced, first_name="Tom")
    plain = await town.book(other, invoiced, "2026-09-17")
    assert (plain["confirmed"], plain["held"], plain["payment_due_at"]) == (1, 0, None)
    assert plain["lines"][0]["held"] is False
    events = await town.events("booking.ReservationValidated", 2)
    assert "payment" not in events[1]["payload"]
    assert parse_event(events[1]).payload["payment"] == "invoice"
    assert await holds_of(town, other, plain["basket_id"]) == {}


async def test_wallet_days_need_an_active_wallet_then_its_answer_confirms_them(
    town: Town,
) -> None:
    await consuming(town.client)
    activity = await paid_activity(town, "wallet", capacity=5)
    kid = await town.enrolled_child(activity)
    refused = await town.book(kid, activity, "2026-09-17")
    (line,) = refused["lines"]
    assert (line["outcome"], line["reason"]) == ("refused", "wallet_inactive")
    assert line["detail"] == (
        "Activez votre compte famille et ajoutez des fonds pour réserver cette activité."
    )
    assert await occupancy(town, activity, "2026-09-17") == {"2026-09-17": (0, 0)}

    await activate_wallet(town, kid["household_id"])
    await activate_wallet(town, kid["household_id"])  # twice: no harm
    result = await town.book(kid, activity, "2026-09-17", "2026-09-18")
    assert (result["confirmed"], result["held"], result["payment_due_at"]) == (2, 2, None)
    assert {(x["payment"], x["payment_due_at"]) for x in result["lines"]} == {("wallet", None)}
    (validated,) = await town.events("booking.ReservationValidated")
    assert validated["payload"]["payment"] == "wallet"
    assert validated["payload"]["payment_due_at"] is None

    debited = wallet_answer("billing.WalletDebited", result, kid, invoice_id=uuid.uuid4())
    await deliver(town, debited)
    confirmed = {"2026-09-17": ("confirmed", None), "2026-09-18": ("confirmed", None)}
    assert await holds_of(town, kid, result["basket_id"]) == confirmed
    # The same answer again (redelivered; or sent again by billing, a new event), then a
    # refusal arriving after the confirmation: nothing changes, nothing is released.
    await publish(town, debited)
    await deliver(town, dataclasses.replace(debited, id=uuid.uuid4()))
    late = wallet_answer("billing.WalletDebitRefused", result, kid, reason="insufficient_balance")
    await deliver(town, late)
    assert await holds_of(town, kid, result["basket_id"]) == confirmed
    assert await occupancy(town, activity, "2026-09-17", "2026-09-18") == {
        "2026-09-17": (1, 0),
        "2026-09-18": (1, 0),
    }
    assert town.tap.of_type("booking.BookingHoldReleased") == []
    row = await booking_row(town, result["lines"][0]["booking_id"])
    assert (row["status"], row["hold"], row["payment"]) == ("booked", "confirmed", "wallet")


async def test_a_refused_wallet_debit_releases_the_days_to_the_waiting_list(town: Town) -> None:
    await consuming(town.client)
    activity = await paid_activity(town, "wallet", capacity=1)
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    for kid in (lea, tom):
        await activate_wallet(town, kid["household_id"])
    held = await town.book(lea, activity, "2026-09-17", "2026-09-18")
    waiting = await town.book(tom, activity, "2026-09-17")
    assert waiting["lines"][0]["outcome"] == "waiting_list"
    assert waiting["lines"][0]["held"] is False  # waiting: nothing held

    refusal = wallet_answer("billing.WalletDebitRefused", held, lea, reason="insufficient_balance")
    await publish(town, refusal)
    (released,) = await town.events("booking.BookingHoldReleased")
    payload = parse_event(released).payload
    assert payload["reason"] == "insufficient_balance"
    assert (payload["child_id"], payload["basket_id"]) == (lea["id"], uuid.UUID(held["basket_id"]))
    assert [d["date"] for d in payload["dates"]] == [date(2026, 9, 17), date(2026, 9, 18)]
    assert payload["account_id"] is not None  # the family filled the basket
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_id"] == str(tom["id"])
    assert promoted["payload"]["date"] == "2026-09-17"
    assert await occupancy(town, activity, "2026-09-17", "2026-09-18") == {
        "2026-09-17": (1, 0),
        "2026-09-18": (0, 0),
    }
    assert await holds_of(town, lea, held["basket_id"]) == {
        "2026-09-17": ("released", "insufficient_balance"),
        "2026-09-18": ("released", "insufficient_balance"),
    }
    # Tom, promoted, is booked as any promoted child: not held.
    row = await booking_row(town, promoted["payload"]["booking_id"])
    assert (row["status"], row["hold"], row["payment"]) == ("booked", None, None)

    # A debit arriving after the release (and the refusal again) books nothing again.
    await deliver(town, wallet_answer("billing.WalletDebited", held, lea, invoice_id=None))
    await deliver(town, dataclasses.replace(refusal, id=uuid.uuid4()))
    assert await occupancy(town, activity, "2026-09-17", "2026-09-18") == {
        "2026-09-17": (1, 0),
        "2026-09-18": (0, 0),
    }
    assert (await booking_row(town, held["lines"][0]["booking_id"]))["status"] == "cancelled"
    assert len(town.tap.of_type("booking.BookingHoldReleased")) == 1
    assert len(town.tap.of_type("booking.WaitingListPromoted")) == 1


# --- paid at booking: paid, refused, expired ------------------------------------------------


@FAST_SWEEP
async def test_a_card_payment_confirms_the_basket_and_the_sweeper_leaves_it(town: Town) -> None:
    await consuming(town.client)
    activity = await paid_activity(town, "at_booking", capacity=3)
    kid = await town.enrolled_child(activity)
    result = await town.book(kid, activity, "2026-09-17", "2026-09-18")
    basket = result["basket_id"]
    # Part paid: still held.
    await deliver(town, payment_received(kid, basket, remaining_cents=400))
    held = {"2026-09-17": ("held", None), "2026-09-18": ("held", None)}
    assert await holds_of(town, kid, basket) == held
    paid = await deliver(town, payment_received(kid, basket))
    confirmed = {"2026-09-17": ("confirmed", None), "2026-09-18": ("confirmed", None)}
    assert await holds_of(town, kid, basket) == confirmed
    await deliver(town, dataclasses.replace(paid, id=uuid.uuid4()))  # a second notification
    # Past the hold's end, and a refusal arriving late: confirmed days stay.
    town.at(NOW + timedelta(minutes=DUE_IN, seconds=1))
    await asyncio.sleep(0.3)  # a few sweeps
    await deliver(town, payment_refused(kid, [basket]))
    assert await holds_of(town, kid, basket) == confirmed
    assert town.tap.of_type("booking.BookingHoldReleased") == []
    assert await occupancy(town, activity, "2026-09-17") == {"2026-09-17": (1, 0)}


async def test_a_basket_invoice_with_nothing_to_pay_confirms_its_held_days(town: Town) -> None:
    # The payer's credit covered the invoice: no payment will come, the days must not expire.
    await consuming(town.client)
    activity = await paid_activity(town, "at_booking", capacity=3)
    kid = await town.enrolled_child(activity)
    basket = (await town.book(kid, activity, "2026-09-17"))["basket_id"]
    await deliver(town, invoice_issued(kid, basket, amount_due_cents=200))
    assert await holds_of(town, kid, basket) == {"2026-09-17": ("held", None)}
    await deliver(town, invoice_issued(kid, basket, amount_due_cents=0))
    assert await holds_of(town, kid, basket) == {"2026-09-17": ("confirmed", None)}
    town.at(NOW + timedelta(minutes=DUE_IN, seconds=1))
    await asyncio.sleep(0.3)  # a few sweeps
    assert await holds_of(town, kid, basket) == {"2026-09-17": ("confirmed", None)}
    assert town.tap.of_type("booking.BookingHoldReleased") == []


async def test_a_refused_card_payment_releases_the_basket(town: Town) -> None:
    await consuming(town.client)
    activity = await paid_activity(town, "at_booking", capacity=1)
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    held = await town.book(lea, activity, "2026-09-17")
    await town.book(tom, activity, "2026-09-17")
    refused = payment_refused(lea, [held["basket_id"], uuid.uuid4()])
    await publish(town, refused)
    (released,) = await town.events("booking.BookingHoldReleased")
    assert released["payload"]["reason"] == "payment_refused"
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_id"] == str(tom["id"])
    # Refused again, then paid after all: nothing more happens (billing keeps the money).
    await deliver(town, dataclasses.replace(refused, id=uuid.uuid4()))
    await deliver(town, payment_received(lea, held["basket_id"]))
    assert await holds_of(town, lea, held["basket_id"]) == {
        "2026-09-17": ("released", "payment_refused")
    }
    assert await occupancy(town, activity, "2026-09-17") == {"2026-09-17": (1, 0)}
    assert len(town.tap.of_type("booking.BookingHoldReleased")) == 1


async def test_a_held_day_cancelled_meanwhile_is_no_longer_held(town: Town) -> None:
    await consuming(town.client)
    activity = await paid_activity(town, "at_booking", capacity=3)
    kid = await town.enrolled_child(activity)
    result = await town.book(kid, activity, "2026-09-17", "2026-09-18")
    first = result["lines"][0]["booking_id"]
    body = await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{first}/cancel",
        town.family(kid["household_id"]),
        {},
    )
    assert (body["status"], body["hold"], body["payment"]) == (
        "cancelled",
        "cancelled",
        "at_booking",
    )
    assert await holds_of(town, kid, result["basket_id"]) == {
        "2026-09-17": ("cancelled", None),
        "2026-09-18": ("held", None),
    }
    # The payment confirms what is still held; the sweep finds nothing to release.
    await deliver(town, payment_received(kid, result["basket_id"]))
    later = NOW + timedelta(minutes=DUE_IN + 1)
    assert await holds.release_expired(lambda: unit_of_work(town.client.app), now=later) == 0
    assert await holds_of(town, kid, result["basket_id"]) == {
        "2026-09-17": ("cancelled", None),
        "2026-09-18": ("confirmed", None),
    }
    assert await occupancy(town, activity, "2026-09-17", "2026-09-18") == {
        "2026-09-17": (0, 0),
        "2026-09-18": (1, 0),
    }


@FAST_SWEEP
async def test_unpaid_days_are_released_when_the_hold_ends_and_the_waiting_list_moves_up(
    town: Town,
) -> None:
    await consuming(town.client)
    activity = await paid_activity(town, "at_booking", capacity=1)
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    held = await town.book(lea, activity, "2026-09-17", "2026-09-18")
    assert (await town.book(tom, activity, "2026-09-17"))["waiting_list"] == 1

    town.at(NOW + timedelta(minutes=DUE_IN - 1))
    await asyncio.sleep(0.3)  # a few sweeps: not yet
    assert town.tap.of_type("booking.BookingHoldReleased") == []
    town.at(NOW + timedelta(minutes=DUE_IN))
    (released,) = await town.events("booking.BookingHoldReleased")
    payload = parse_event(released).payload
    assert payload["reason"] == "payment_expired"
    assert [d["date"] for d in payload["dates"]] == [date(2026, 9, 17), date(2026, 9, 18)]
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_id"] == str(tom["id"])
    assert await occupancy(town, activity, "2026-09-17", "2026-09-18") == {
        "2026-09-17": (1, 0),
        "2026-09-18": (0, 0),
    }
    row = await booking_row(town, promoted["payload"]["booking_id"])
    assert (row["status"], row["hold"]) == ("booked", None)  # promoted: booked, not held
    # The payment arriving after the release does not book the days again.
    await deliver(town, payment_received(lea, held["basket_id"]))
    assert await holds_of(town, lea, held["basket_id"]) == {
        "2026-09-17": ("released", "payment_expired"),
        "2026-09-18": ("released", "payment_expired"),
    }
    assert await occupancy(town, activity, "2026-09-17", "2026-09-18") == {
        "2026-09-17": (1, 0),
        "2026-09-18": (0, 0),
    }


async def test_the_command_releases_the_holds_whose_time_ran_out(
    town: Town, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service's clock is pinned at 1 September 2026; the command uses the real time,
    later: the hold has ended for it."""
    await consuming(town.client)
    activity = await paid_activity(town, "at_booking", capacity=1)
    kid = await town.enrolled_child(activity)
    await town.book(kid, activity, "2026-09-17")
    capsys.readouterr()
    code = await asyncio.to_thread(release_expired_holds, town.settings, argparse.Namespace())
    assert code == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == '{"released": 1}'
    # Its event leaves through the outbox, published by the service's relay.
    (released,) = await town.tap.wait_for(1, event_type="booking.BookingHoldReleased", timeout=20)
    assert released["payload"]["reason"] == "payment_expired"
    assert await occupancy(town, activity, "2026-09-17") == {"2026-09-17": (0, 0)}


# --- staff, and billing's word on activities -------------------------------------------------


async def test_staff_may_book_without_holding_families_may_not(town: Town) -> None:
    await consuming(town.client)
    activity = await paid_activity(town, "wallet", capacity=5)
    kid = await town.enrolled_child(activity)  # no wallet

    async def staff_basket(**body: Any) -> Any:
        basket = await town.call(
            "POST",
            f"/tenants/{TENANT}/baskets",
            town.staff(),
            {
                "household_id": str(kid["household_id"]),
                "lines": [
                    {
                        "child_id": str(kid["id"]),
                        "activity_id": activity["id"],
                        "dates": ["2026-09-17"],
                    }
                ],
            },
            201,
        )
        return await town.call(
            "POST", f"/tenants/{TENANT}/baskets/{basket['id']}/validate", town.staff(), body
        )

    # Staff follow the same rules by default...
    assert (await staff_basket())["lines"][0]["reason"] == "wallet_inactive"
    # ...unless they book without holding (paid at the desk): booked and invoiced as usual.
    booked = await staff_basket(hold_for_payment=False)
    assert (booked["confirmed"], booked["held"]) == (1, 0)
    (validated,) = await town.events("booking.ReservationValidated")
    assert parse_event(validated).payload["payment"] == "invoice"
    assert validated["payload"]["booked_by_staff"] is not None
    row = await booking_row(town, booked["lines"][0]["booking_id"])
    assert (row["hold"], row["payment"]) == (None, None)
    # A family may not.
    basket = await town.basket(kid, [{"activity_id": activity["id"], "dates": ["2026-09-18"]}])
    problem = await town.validate(kid, basket, status=403, hold_for_payment=False)
    assert problem["type"].endswith("/hold-for-payment-staff-only")


async def test_billing_says_how_an_activity_is_paid_whenever_it_says_it(town: Town) -> None:
    await consuming(town.client)
    activity = await town.activity(capacity=5)
    kid = await town.enrolled_child(activity)
    first = await town.book(kid, activity, "2026-09-17")  # invoiced; its parsed row cached
    assert first["held"] == 0
    newer = await set_payment(town, activity, "at_booking", 45)
    second = await town.book(kid, activity, "2026-09-18")
    assert second["held"] == 1
    assert when(second["payment_due_at"]) == NOW + timedelta(minutes=45)
    # An older word arriving late changes nothing.
    older = billing_event(
        "billing.ActivityPaymentSet",
        {"activity_id": activity["id"], "payment": "invoice", "hold_minutes": 10},
    )
    await deliver(town, dataclasses.replace(older, occurred_at=newer.occurred_at - timedelta(1)))
    body = await town.call("GET", f"/tenants/{TENANT}/activities/{activity['id']}", town.staff())
    assert (body["payment"], body["hold_minutes"]) == ("at_booking", 45)

    # A word about an activity booking does not know yet is kept for when it exists.
    unknown = uuid.uuid4()
    await deliver(
        town,
        billing_event(
            "billing.ActivityPaymentSet",
            {"activity_id": unknown, "payment": "wallet", "hold_minutes": 30},
        ),
    )
    row = await store.insert_activity(
        town.pool,
        {
            "id": unknown,
            "tenant": TENANT,
            "name": "Stage de Toussaint",
            "type": "VACANCES",
            "site": "Centre de loisirs",
            "period_from": date(2026, 10, 19),
            "period_to": date(2026, 10, 23),
            "weekdays": [1, 2, 3, 4, 5],
            "capacity": 12,
            "booking_deadline": {"days_before": 7, "at": "12:00"},
            "cancel_deadline": {"days_before": 7, "at": "12:00"},
            "late_deadline": {"days_before": 0, "at": "00:00"},
            "created_by": uuid.uuid4(),
        },
        [date(2026, 10, 19)],
    )
    assert (row["payment"], row["hold_minutes"]) == ("wallet", 30)


# --- races ---------------------------------------------------------------------------------

RACE_DAYS = ["2026-10-05", "2026-10-06"]


@pytest.mark.parametrize(
    ("booking_settings", "racers"),
    [({}, "invoice"), ({"group_commit": False}, "invoice"), ({}, "at_booking")],
    indirect=["booking_settings"],
    ids=["grouped-invoiced", "direct-invoiced", "grouped-held"],
)
async def test_releases_racing_validations_for_the_same_days_never_overbook(
    town: Town, racers: str
) -> None:
    """Ten held places expire while twenty-five children (five waiting, twenty validating
    now) want them: each place goes to exactly one child. `invoiced`: the activity is
    invoiced by now, the racers take the rush's fast path; `held`: they are held too."""
    await consuming(town.client)
    activity = await paid_activity(town, "at_booking", capacity=10, type="VACANCES")
    kids = await asyncio.gather(
        *(town.enrolled_child(activity, first_name=f"Enfant{i}") for i in range(35))
    )
    holders, waiting, racing = kids[:10], kids[10:15], kids[15:]
    for kid in holders:
        assert (await town.book(kid, activity, *RACE_DAYS))["held"] == 2
    for kid in waiting:
        assert (await town.book(kid, activity, *RACE_DAYS))["waiting_list"] == 2
    if racers == "invoice":
        await set_payment(town, activity, "invoice")
    baskets = [
        await town.basket(kid, [{"activity_id": activity["id"], "dates": RACE_DAYS}])
        for kid in racing
    ]
    town.at(NOW + timedelta(minutes=DUE_IN))

    def sweep() -> Any:  # small batches: more transactions to interleave
        return holds.release_expired(
            lambda: unit_of_work(town.client.app), now=NOW + timedelta(minutes=DUE_IN), batch=3
        )

    results = await asyncio.gather(
        *(town.validate(kid, basket) for kid, basket in zip(racing, baskets, strict=True)),
        *(sweep() for _ in range(3)),
    )
    assert sum(results[len(racing) :]) <= 20  # each hold released once, by one sweep
    async with town.pool.acquire() as conn:
        for day in RACE_DAYS:
            on = date.fromisoformat(day)
            counter = await conn.fetchval(
                "SELECT booked FROM activity_days WHERE activity_id = $1 AND day = $2",
                uuid.UUID(activity["id"]),
                on,
            )
            states = dict(
                await conn.fetch(
                    "SELECT coalesce(hold, status), count(*) FROM bookings"
                    " WHERE activity_id = $1 AND day = $2 GROUP BY 1",
                    uuid.UUID(activity["id"]),
                    on,
                )
            )
            booked = await conn.fetchval(
                "SELECT count(*) FROM bookings WHERE activity_id = $1 AND day = $2"
                " AND status = 'booked'",
                uuid.UUID(activity["id"]),
                on,
            )
            # Never more than the capacity, the counter is the bookings, no free place
            # while a child waits; every hold released (the sweepers' clock is past them).
            assert counter == booked == 10, (day, states)
            assert states["released"] == 10, (day, states)
            assert states.get("booked", 0) + states.get("held", 0) == 10, (day, states)
            assert states.get("waiting", 0) == 15, (day, states)
    released = await town.tap.wait_for(10, event_type="booking.BookingHoldReleased")
    assert {x["payload"]["child_id"] for x in released} == {str(k["id"]) for k in holders}
