"""The children's activities: the family-facing emails of booking's events, one use case per
event type, each to the household's guardians' accounts whoever acted (staff enrolling a
child, filling a basket, cancelling a day or deciding on an absence are not told in the
family's place); and which activities a household attends (`family_activities`, for targeted
news): added when an enrollment is approved or a basket books it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from notify import store
from notify.domain import activity_emails
from notify.domain.errors import ForeignActivity
from notify.domain.plans import Letter
from notify.usecases.households import tell_guardians
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def _tell_household(
    uow: UnitOfWork, event: Event, letter: Letter, *, grace: float = 0
) -> int:
    async with uow:
        return await tell_guardians(uow, event, event.payload["household_id"], letter, grace=grace)


async def _attends(uow: UnitOfWork, event: Event) -> None:
    p = event.payload
    await store.add_family_activity(uow.conn, event.tenant_id, p["household_id"], p["activity_id"])


async def reservation_validated(
    uow: UnitOfWork, event: Event, *, basket_grace: float, timezone: str = "Europe/Paris"
) -> int:
    """A part of the basket's recap, sent `basket_grace` seconds after the basket's last.
    Days given by an opening window's allocation (`window_id`) have no recap: the family
    hears of them by the allocation's own email (booking.AllocationDecided)."""
    letter = activity_emails.reservation_validated(event.payload, event.id, timezone)
    async with uow:
        await _attends(uow, event)
        if event.payload.get("window_id") is not None:
            return 0
        return await tell_guardians(
            uow, event, event.payload["household_id"], letter, grace=basket_grace
        )


async def reservation_cancelled(uow: UnitOfWork, event: Event, *, basket_grace: float) -> int:
    letter = activity_emails.reservation_cancelled(event.payload, event.id)
    return await _tell_household(uow, event, letter, grace=basket_grace)


async def booking_hold_released(uow: UnitOfWork, event: Event, *, basket_grace: float) -> int:
    """Days held for payment released unpaid: a part of the basket's email about them, sent
    `basket_grace` seconds after its last part (one email for the basket's children and
    activities)."""
    letter = activity_emails.booking_hold_released(event.payload, event.id)
    return await _tell_household(uow, event, letter, grace=basket_grace)


async def waiting_list_promoted(uow: UnitOfWork, event: Event) -> int:
    return await _tell_household(uow, event, activity_emails.waiting_list_promoted(event.payload))


async def waiting_list_cancelled(uow: UnitOfWork, event: Event) -> int:
    letter = activity_emails.waiting_list_cancelled(event.payload)
    return await _tell_household(uow, event, letter)


async def enrollment_decided(uow: UnitOfWork, event: Event) -> int:
    letter = activity_emails.enrollment_decided(event.payload)
    async with uow:
        if event.payload["decision"] == "approved":
            await _attends(uow, event)
        return await tell_guardians(uow, event, event.payload["household_id"], letter)


async def absence_justified(uow: UnitOfWork, event: Event) -> int:
    return await _tell_household(uow, event, activity_emails.absence_justified(event.payload))


async def absence_refused(uow: UnitOfWork, event: Event) -> int:
    return await _tell_household(uow, event, activity_emails.absence_refused(event.payload))


async def renewals_proposed(uow: UnitOfWork, event: Event) -> int:
    """The household's enrollments proposed again for the new school year (issue 16)."""
    return await _tell_household(uow, event, activity_emails.renewals_proposed(event.payload))


async def check_activities(
    conn: store.Conn, tenant: str, activity_ids: Iterable[uuid.UUID | None], field: str
) -> None:
    """Staff may name only their town's activities. Notify knows activities only from
    booking's events (those a household attends): one known as another tenant's is refused;
    one not known yet cannot be told apart and is kept (opaque until then)."""
    ids = [i for i in dict.fromkeys(activity_ids) if i is not None]
    if ids and (foreign := await store.other_tenants_activities(conn, tenant, ids)):
        raise ForeignActivity(field, foreign)
