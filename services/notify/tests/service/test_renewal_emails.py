"""Renewals proposed for the new school year (issue 16): every account linked to the
household gets one email, in French, with the window and the link to the portal's renewal
page, once, through the real bus, Postgres and an SMTP server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from shared.events.envelope import new_event
from shared.keys import POOL

from .test_booking_emails import delivered, family, html_of, notifications, text_of

REASON = "Cette activité est réservée aux classes suivantes : CE1, CE2, CM1, CM2, CP."


async def test_renewals_proposed_are_emailed_to_each_guardian_once(notify, smtp, tokens, h):
    household_id, simon, claire = await family(notify, tokens, h)
    campaign_id = uuid.uuid4()
    proposed = new_event(
        "booking.RenewalsProposed",
        {
            "household_id": household_id,
            "campaign_id": campaign_id,
            "campaign_name": "Périscolaire 2027-2028",
            "school_year": "2027-2028",
            "opens_on": date(2027, 6, 1),
            "closes_on": date(2027, 7, 15),
            "children": [
                {
                    "child_id": uuid.uuid4(),
                    "first_name": "Léa",
                    "activities": ["Périscolaire 2027-2028", "Cantine 2027-2028"],
                    "ineligible": [],
                },
                {
                    "child_id": uuid.uuid4(),
                    "first_name": "Hugo",
                    "activities": ["Cantine 2027-2028"],
                    "ineligible": [{"name": "Périscolaire 2027-2028", "reason": REASON}],
                },
            ],
        },
        tenant_id="epagny",
        producer="booking",
    )
    await h.publish(notify, proposed)
    await h.publish(notify, proposed)  # delivered twice: told once (the inbox)
    messages = await delivered(smtp, 2)
    assert sorted(m["To"] for m in messages) == [
        "claire.durand@example.org",
        "simon.durand@example.org",
    ]
    link = f"https://portail.epagnymetztessy.fr/inscriptions/renouvellement/{campaign_id}"
    for message in messages:
        assert message["Subject"] == "Renouvellement des inscriptions 2027-2028"
        text = text_of(message)
        assert "Vous pouvez répondre du 1er juin 2027 au 15 juillet 2027." in text
        assert "Léa :\n- Périscolaire 2027-2028 : inscription à renouveler\n" in text
        assert f"- Périscolaire 2027-2028 : ne peut pas être renouvelée. {REASON}" in text
        assert link in text
        html = html_of(message)
        assert f'href="{link}"' in html and "<strong>Hugo</strong>" in html
    for account in (simon, claire):
        (item,) = await notifications(notify, tokens, account)
        assert item["kind"] == "renewals_proposed"
        assert item["title"] == "Renouvellement des inscriptions 2027-2028"
        assert "Léa, Hugo" in item["body"] and "du 1er juin 2027 au 15 juillet 2027" in item["body"]
    pool = notify.app[POOL]
    assert await pool.fetchval("SELECT count(*) FROM emails WHERE event_id = $1", proposed.id) == 2
    await asyncio.sleep(1.0)
    assert len(smtp.messages) == 2


async def test_a_household_with_nothing_to_renew_is_told_why_not_asked_to_answer(
    notify, smtp, tokens, h
):
    household_id, simon, _claire = await family(notify, tokens, h)
    refused = new_event(
        "booking.RenewalsProposed",
        {
            "household_id": household_id,
            "campaign_id": uuid.uuid4(),
            "campaign_name": "Périscolaire 2027-2028",
            "school_year": "2027-2028",
            "opens_on": date(2027, 6, 1),
            "closes_on": date(2027, 7, 15),
            "children": [
                {
                    "child_id": uuid.uuid4(),
                    "first_name": "Hugo",
                    "activities": [],
                    "ineligible": [{"name": "Périscolaire 2027-2028", "reason": REASON}],
                },
            ],
        },
        tenant_id="epagny",
        producer="booking",
    )
    await h.publish(notify, refused)
    messages = await delivered(smtp, 2)
    text, html = text_of(messages[0]), html_of(messages[0])
    assert "ne peuvent pas être renouvelées, pour les raisons indiquées ci-dessous" in text
    assert f"- Périscolaire 2027-2028 : ne peut pas être renouvelée. {REASON}" in text
    # Nothing to confirm: no window to answer in, no renewal link, the enrollments' page.
    assert "Vous pouvez répondre" not in text and "confirmez ou refusez" not in text
    assert "/inscriptions/renouvellement/" not in text + html
    assert "https://portail.epagnymetztessy.fr/inscriptions\n" in text
    (item,) = await notifications(notify, tokens, simon)
    assert item["body"] == (
        "Les inscriptions de Hugo ne peuvent pas être renouvelées pour 2027-2028 :"
        " le motif est indiqué pour chacune."
    )
