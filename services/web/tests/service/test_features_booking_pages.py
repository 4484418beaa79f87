"""A town that turns online booking off (issue 16): the calendar still shows the child's
days, without boxes to tick, the rhythm form or the basket's validation; the town's message
says whom to contact."""

from __future__ import annotations

import re

from .test_reservation_pages import (  # noqa: F401  (fixtures of the booking stand-in)
    CALENDAR,
    LEO,
    booking,
    log_in,
    page,
    post,
    stand_in_routes,
)

OFF = "La mairie ne permet pas de réserver en ligne : contactez le service Enfance"


async def test_online_booking_off_hides_the_booking_forms(portal, services, booking):  # noqa: F811
    stand_in, _ = services
    await log_in(portal)
    # A basket filled while booking was on.
    form = [("activite", CALENDAR.split("activite=")[1]), ("mois", "2027-01")]
    await post(portal, f"/reservations/{LEO}/jours", [*form, ("jour", "2027-01-08")])
    stand_in.features = {
        "family_edits": True,
        "online_booking": False,
        "wallet": True,
        "direct_debit": True,
    }
    assert OFF in await page(portal, "/reservations")
    html = await page(portal, CALENDAR)
    assert OFF in html and "Délai dépassé" in html  # the month still in the legend's words
    assert re.findall(r'name="jour" value="([\d-]+)"', html) == []
    assert "Ajouter les jours cochés au panier" not in html
    assert f'action="/reservations/{LEO}/rythme"' not in html
    assert "/annuler/" not in html  # booking refuses a family's cancellation too
    html = await page(portal, "/panier")
    assert OFF in html and 'action="/panier/valider"' not in html
    stand_in.features = None
    html = await page(portal, CALENDAR)
    assert OFF not in html and re.findall(r'name="jour" value="([\d-]+)"', html)
    assert "/annuler/" in html
    assert 'action="/panier/valider"' in await page(portal, "/panier")
