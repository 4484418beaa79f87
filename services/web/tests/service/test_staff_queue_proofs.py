"""Issue 16 on the queue's change page: a household change shows its proof beside it (the
document validated with the change), the family situation with French labels and the
billed guardian by name (the family service stood in, as in test_staff_queue_pages)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from . import test_staff_queue_pages as base
from .test_staff_queue_pages import DOC_1, HOUSEHOLD, Answers

# The queue's stand-in and its agent, as in test_staff_queue_pages.
answers = base.answers
agent = base.agent
stand_in_routes = base.stand_in_routes

PROVED = "44444444-4444-4444-8444-0000000000aa"


def a_proved_change() -> dict:
    return {
        "id": PROVED,
        "household_id": HOUSEHOLD,
        "entity": "household",
        "operation": "update",
        "entity_id": None,
        "parent_id": None,
        "summary": "Modification des coordonnées du foyer",
        "before": {
            "address": {"line1": "3 place de la Mairie", "postal_code": "74330", "city": "Epagny"},
            "marital_status": None,
            "billed_guardian_id": None,
        },
        "proposed": {
            "address": {"line1": "3 chemin du Lac", "postal_code": "74330", "city": "Epagny"},
            "marital_status": "divorced",
            "billed_guardian_id": "g",
        },
        "sensitive": False,
        "status": "pending",
        "submitted_at": "2026-08-30T08:00:00+00:00",
        "reason": None,
        "proof_document_id": DOC_1,
    }


async def test_a_change_shows_its_proof_and_the_situation_in_french(
    agent: TestClient, answers: Answers
) -> None:
    answers.changes[PROVED] = a_proved_change()
    answers.documents[DOC_1].update(
        document_type="justificatif_domicile",
        document_label="Justificatif de domicile",
        filename="edf.pdf",
        member_kind=None,
        member_id=None,
    )
    r = await agent.get(f"/gestion/modifications/{PROVED}")
    html = await r.text()
    assert r.status == 200, html
    assert '<h2 id="justificatif">Justificatif joint</h2>' in html
    assert f'<a href="/gestion/documents/{DOC_1}">Justificatif de domicile : edf.pdf</a>' in html
    assert f'href="/gestion/documents/{DOC_1}/contenu">Ouvrir le justificatif (PDF)' in html
    assert "Accepter la modification valide ce justificatif" in html
    assert "Situation des responsables" in html and "Divorcé(e)s" in html
    assert "Responsable facturé" in html and "<td>Ana Roux</td>" in html
    # Accepting is one decision: the family service validates the proof with the change.
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    r = await agent.post(
        f"/gestion/modifications/{PROVED}/accepter",
        data={"csrf_token": token},
        allow_redirects=False,
    )
    assert r.status == 303
    assert ("approve " + PROVED, None) in answers.sent
    assert not [s for s in answers.sent if s[0] == "validate"]  # not a second call


async def test_a_change_whose_proof_is_gone_says_so(agent: TestClient, answers: Answers) -> None:
    change = a_proved_change()
    change["proof_document_id"] = "55555555-5555-4555-8555-0000000000ff"
    answers.changes[PROVED] = change
    r = await agent.get(f"/gestion/modifications/{PROVED}")
    assert r.status == 200
    assert "Le justificatif n'est plus disponible." in await r.text()
