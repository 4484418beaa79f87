"""Issue 16 in the staff's household file: the family situation (marital status, custody,
the guardian billed) and each child's permissions with the date given (the services stood
in, as in test_staff_households_pages)."""

from __future__ import annotations

from typing import Any

from . import test_staff_households_pages as base
from .test_staff_households_pages import HOUSEHOLD, staff_in

answers = base.answers
stand_in_routes = base.stand_in_routes
KARIM = "22222222-2222-4222-8222-222222222222"


def with_situation() -> dict[str, Any]:
    household = base_household()
    household.update(
        marital_status="separated",
        custody="alternating",
        custody_detail=None,
        billed_guardian_id=KARIM,
    )
    household["children"][0]["permissions"] = [
        {
            "code": "sortie_seul",
            "label": "Rentrer seul",
            "granted": False,
            "given_at": "2026-09-01T08:00:00+00:00",
            "given_by": None,
        },
        {
            "code": "image_rights",
            "label": "Droit à l'image",
            "granted": True,
            "given_at": "2026-09-02T08:00:00+00:00",
            "given_by": None,
        },
        {
            "code": "sorties",
            "label": "Sorties",
            "granted": None,
            "given_at": None,
            "given_by": None,
        },
    ]
    return household


base_household = base.the_household


async def test_the_file_shows_the_situation_and_the_permissions(portal, services, monkeypatch):
    monkeypatch.setattr(base, "the_household", with_situation)
    await staff_in(portal, services)
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}")
    html = await r.text()
    assert r.status == 200, html
    assert "<dt>Situation des responsables</dt><dd>Séparé(e)s</dd>" in html
    assert "<dt>Mode de garde</dt><dd>Résidence alternée</dd>" in html
    assert "<dt>Responsable facturé</dt><dd>Karim Benali</dd>" in html
    assert "<dt>Rentrer seul</dt><dd>Refusé" in html
    assert "<dt>Droit à l&#39;image</dt><dd>Autorisé" in html
    assert "(le mercredi 2 septembre 2026)" in html
    assert "<dt>Sorties</dt><dd>Non renseigné" in html
