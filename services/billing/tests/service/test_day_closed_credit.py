"""A day staff closed (booking's ReservationCancelled with `cancelled_by` "day_closed", issue
16) is billed as any cancellation by the town: never charged, the prepaid day credited once,
with the staff's reason."""

from __future__ import annotations

from datetime import date

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]


async def test_a_closed_day_is_credited_once_with_its_reason(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    family = billing.family(lea.household_id)
    validated = billing.validated(lea, canteen, *SEPT)
    await billing.deliver(validated)
    # The basket's invoice issued first (a moment after the validation): the closed day
    # is then credited, not merely left out of a draft.
    await billing.events("billing.InvoiceIssued")
    (closed_day,) = [d for d in billing.booked(validated) if d["date"] == SEPT[1]]

    def closed():
        return billing.booking_event(
            "booking.ReservationCancelled",
            **billing.who(lea, canteen),
            basket_id=None,
            dates=[closed_day],
            cancelled_by="day_closed",
            reason="Grève du personnel",
            charged=False,
        )

    await billing.deliver(closed())
    (event,) = await billing.events("billing.CreditNoteIssued")
    assert event["payload"]["total_cents"] == 415
    (note,) = (await billing.get(f"{T}/credit-notes", family))["credit_notes"]
    assert note["total_cents"] == 415
    assert "Annulation par la collectivité : Grève du personnel" in str(note)
    await billing.deliver(closed())  # told again (a replay): no second credit
    assert await billing.pool.fetchval("SELECT count(*) FROM credit_notes") == 1
