"""The subscriber-code letter (one household, a batch) and a new code for a lost letter."""

from __future__ import annotations

import io
import uuid
from typing import Any

from pypdf import PdfReader

Town = Any


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


async def test_staff_print_a_households_letter(town: Town) -> None:
    h = await town.household(
        guardians=[town.guardian("Claire", "Martin"), town.guardian("Paul", "Durand")],
        children=[town.child("Léa", "Martin"), town.child("Tom", "Durand")],
    )
    r = await town.client.get(
        f"/tenants/epagny/households/{h['id']}/subscriber-letter", headers=town.staff()
    )
    assert r.status == 200, await r.text()
    assert r.content_type == "application/pdf"
    assert (
        f'filename="lettre-code-abonne-{h["subscriber_code"]}.pdf"'
        in (r.headers["Content-Disposition"])
    )
    body = await r.read()
    assert body.startswith(b"%PDF")
    (page,) = _text(body)
    assert h["subscriber_code"] in page
    for text in ("Claire Martin", "Paul Durand", "Léa Martin", "Tom Durand", "Mairie d'Epagny"):
        assert text in page
    assert "J'ai un code abonné" in page and "Mon foyer" in page
    assert "http://127.0.0.1:8080" in page  # the portal (PORTAL_URL)
    assert town.ADDRESS["city"] in page


async def test_a_batch_has_a_page_per_household(town: Town) -> None:
    houses = [await town.household(guardians=[town.guardian("Anne", f"Nom{i}")]) for i in range(3)]
    ids = [h["id"] for h in houses]
    r = await town.client.post(
        "/tenants/epagny/subscriber-letters",
        json={"household_ids": [*ids, ids[0]]},  # twice: printed once
        headers=town.staff(),
    )
    assert r.status == 200, await r.text()
    assert 'filename="lettres-code-abonne.pdf"' in r.headers["Content-Disposition"]
    pages = _text(await r.read())
    assert len(pages) == 3
    for page, h in zip(pages, houses, strict=True):
        assert h["subscriber_code"] in page


async def test_letters_are_staffs_and_of_known_households(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    r = await town.client.get(
        f"/tenants/epagny/households/{h['id']}/subscriber-letter", headers=family
    )
    assert r.status == 403
    r = await town.client.post(
        "/tenants/epagny/subscriber-letters", json={"household_ids": [h["id"]]}, headers=family
    )
    assert r.status == 403
    r = await town.client.post(
        f"/tenants/epagny/households/{h['id']}/subscriber-code", headers=family
    )
    assert r.status == 403
    unknown = str(uuid.uuid4())
    r = await town.client.get(
        f"/tenants/epagny/households/{unknown}/subscriber-letter", headers=town.staff()
    )
    assert r.status == 404
    # Another tenant's household is unknown here.
    r = await town.client.get(
        f"/tenants/annecy/households/{h['id']}/subscriber-letter", headers=town.staff("annecy")
    )
    assert r.status == 404
    r = await town.client.post(
        f"/tenants/epagny/households/{unknown}/subscriber-code", headers=town.staff()
    )
    assert r.status == 404
    r = await town.client.post(
        "/tenants/epagny/subscriber-letters",
        json={"household_ids": [h["id"], unknown]},
        headers=town.staff(),
    )
    assert r.status == 422
    assert (await r.json())["errors"][0]["field"] == "household_ids"
    for ids in ([], [str(uuid.uuid4()) for _ in range(501)]):
        r = await town.client.post(
            "/tenants/epagny/subscriber-letters", json={"household_ids": ids}, headers=town.staff()
        )
        assert r.status == 422
        assert (await r.json())["errors"][0]["field"] == "household_ids"


async def test_a_new_code_replaces_a_lost_one(town: Town) -> None:
    h = await town.household()
    already = await town.linked_family(h)
    renewed = await town.call(
        "POST", f"/tenants/epagny/households/{h['id']}/subscriber-code", town.staff(), status=201
    )
    assert renewed["household_id"] == h["id"]
    new_code = renewed["subscriber_code"]
    assert new_code != h["subscriber_code"] and len(new_code) == 11
    file = await town.call("GET", f"/tenants/epagny/households/{h['id']}", town.staff())
    assert file["subscriber_code"] == new_code
    # The old code: the same answer as a code that never existed.
    stranger = town.family()
    r = await town.client.post(
        "/tenants/epagny/me/household/link", json={"code": h["subscriber_code"]}, headers=stranger
    )
    unknown = await town.client.post(
        "/tenants/epagny/me/household/link", json={"code": "AAAAA-BBBBB"}, headers=town.family()
    )
    assert r.status == unknown.status == 422
    old_body, unknown_body = await r.json(), await unknown.json()
    assert old_body["errors"] == unknown_body["errors"]
    assert old_body["type"] == unknown_body["type"]
    # The new code links; the account linked before stays linked.
    body = await town.call(
        "POST", "/tenants/epagny/me/household/link", town.family(), {"code": new_code}
    )
    assert body["household_id"] == h["id"]
    mine = await town.call("GET", "/tenants/epagny/me/household", already)
    assert len(mine["accounts"]) == 2
    # The letter now prints the new code.
    r = await town.client.get(
        f"/tenants/epagny/households/{h['id']}/subscriber-letter", headers=town.staff()
    )
    (page,) = _text(await r.read())
    assert new_code in page and h["subscriber_code"] not in page


async def test_openapi_describes_the_letters_and_the_new_code(town: Town) -> None:
    paths = (await town.call("GET", "/openapi.json", {}))["paths"]
    letter = paths["/tenants/{tenant}/households/{household_id}/subscriber-letter"]["get"]
    assert set(letter["responses"]["200"]["content"]) == {"application/pdf"}
    batch = paths["/tenants/{tenant}/subscriber-letters"]["post"]
    assert "SubscriberLettersIn" in str(batch["requestBody"])
    assert set(batch["responses"]["200"]["content"]) == {"application/pdf"}
    renewed = paths["/tenants/{tenant}/households/{household_id}/subscriber-code"]["post"]
    assert "201" in renewed["responses"]
