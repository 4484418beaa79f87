"""The household import's preview (dry run) and its partial import (skip_invalid)."""

from __future__ import annotations

from typing import Any

from family.domain import codes

Town = Any
IMPORT = "/tenants/epagny/households/import"
HEADER = (
    "reference;adresse;code_postal;ville;responsable1_nom;responsable1_prenom;"
    "responsable1_email;enfant_nom;enfant_prenom;enfant_naissance\n"
)
FILE = HEADER + (
    "A1;1 rue des Écoles;74330;Epagny;Dupré;Amélie;amelie@example.fr;Dupré;Noé;04/05/2017\n"
    "A1;;;;;;;Dupré;Inès;2019-11-02\n"
    "A2;2 rue B;7433;Epagny;Faure;Paul;paul@example.fr;Faure;Jade;01/01/2018\n"
    "A3;3 rue C;74330;Epagny;Garnier;Lucie;;Garnier;Hugo;31/02/2016\n"
    "A4;4 rue D;74330;Epagny;Henry;Marc;AMELIE@example.fr;;;\n"
    "A5;5 rue E;74330;Epagny;Imbert;Sara;sara@example.fr;;;\n"
)


async def _counts(town: Town) -> tuple[int, int, int]:
    async with town.pool.acquire() as conn:
        return (
            await conn.fetchval("SELECT count(*) FROM households"),
            await conn.fetchval("SELECT count(*) FROM children"),
            await conn.fetchval("SELECT count(*) FROM outbox"),
        )


async def _post(town: Town, body: bytes, query: str = "") -> Any:
    headers = {**town.staff(), "Content-Type": "text/csv"}
    return await town.client.post(IMPORT + query, data=body, headers=headers)


async def test_a_dry_run_reports_every_line_and_writes_nothing(town: Town) -> None:
    before = await _counts(town)
    r = await _post(town, FILE.encode(), "?dry_run=true")
    body = await r.json()
    assert r.status == 200, body
    assert await _counts(town) == before
    assert body["dry_run"] is True
    assert [c["reference"] for c in body["created"]] == ["A1", "A5"]
    assert body["created"][0]["household_id"] is None
    assert body["created"][0]["children"] == ["Noé Dupré", "Inès Dupré"]
    assert (body["households"], body["children"]) == (2, 2)
    statuses = [(line["line"], line["reference"], line["status"]) for line in body["lines"]]
    assert statuses == [
        (2, "A1", "valid"),
        (3, "A1", "valid"),
        (4, "A2", "invalid"),
        (5, "A3", "invalid"),
        (6, "A4", "invalid"),
        (7, "A5", "valid"),
    ]
    errors = {(e["line"], e["field"]) for e in body["invalid"]}
    assert errors == {(4, "code_postal"), (5, "enfant_naissance"), (6, "responsable1_email")}
    assert all(e["detail"] for e in body["invalid"])
    a4 = body["lines"][4]["errors"][0]["detail"]
    assert a4.startswith("Déjà à la ligne 2 du fichier")  # a duplicate within the file
    assert body["lines"][0]["guardians"] == ["Amélie Dupré"]
    assert body["lines"][2]["guardians"] == ["Paul Faure"]  # in error: as the file has it
    assert body["lines"][1]["child"] == "Inès Dupré"
    # Without dry_run nor skip_invalid, the same file is refused whole.
    r = await _post(town, FILE.encode())
    assert r.status == 422
    assert await _counts(town) == before


async def test_skip_invalid_imports_the_valid_households_once(town: Town) -> None:
    households, children, _ = await _counts(town)
    r = await _post(town, FILE.encode(), "?skip_invalid=true&existing=skip")
    body = await r.json()
    assert r.status == 201, body
    assert [c["reference"] for c in body["created"]] == ["A1", "A5"]
    assert all(c["household_id"] and c["subscriber_code"] for c in body["created"])
    assert {e["line"] for e in body["invalid"]} == {4, 5, 6}
    assert [line["household_id"] for line in body["lines"]][:2] == [
        body["created"][0]["household_id"]
    ] * 2
    after = await _counts(town)
    assert after[:2] == (households + 2, children + 2)
    await town.events("family.HouseholdCreated", 2)
    await town.events("family.ChildRegistered", 2)
    # Imported again: the households are found in the town's file.
    r = await _post(town, FILE.encode(), "?dry_run=true")
    body = await r.json()
    assert r.status == 200, body
    assert body["created"] == []
    assert [s["reference"] for s in body["skipped"]] == ["A1", "A5"]
    assert [line["status"] for line in body["lines"]] == [
        "existing",
        "existing",
        "invalid",
        "invalid",
        "invalid",
        "existing",
    ]
    found = body["lines"][0]["found"]
    assert found and found[0]["subscriber_code"] == await _code_of(town, "amelie@example.fr")
    r = await _post(town, FILE.encode(), "?skip_invalid=true&existing=skip")
    assert r.status == 201 and (await r.json())["created"] == []
    assert (await _counts(town))[:2] == after[:2]  # never twice


async def _code_of(town: Town, email: str) -> str:
    async with town.pool.acquire() as conn:
        code = await conn.fetchval(
            "SELECT h.subscriber_code FROM households h JOIN guardians g"
            " ON g.household_id = h.id WHERE g.email = $1",
            email,
        )
    return codes.display(code)


async def test_excel_files_in_windows_1252_with_semicolons_and_utf8_with_bom(town: Town) -> None:
    text = HEADER + "B1;1 rue des Écoles;74330;Épagny;Lefèvre;Hélène;;Lefèvre;Zoé;03/03/2018\n"
    r = await _post(town, text.encode("cp1252"), "?dry_run=true")
    body = await r.json()
    assert r.status == 200, body
    assert body["created"][0]["guardians"] == ["Hélène Lefèvre"]
    assert body["created"][0]["children"] == ["Zoé Lefèvre"]
    comma = text.replace(";", ",")
    r = await _post(town, b"\xef\xbb\xbf" + comma.encode(), "?dry_run=true")
    body = await r.json()
    assert r.status == 200, body
    assert body["created"][0]["children"] == ["Zoé Lefèvre"]
    r = await _post(town, HEADER.encode() + b"B2;\x81\x81;74330;X;Y;Z;;;;\n", "?dry_run=true")
    assert r.status == 422


async def test_a_bad_header_refuses_even_a_partial_import(town: Town) -> None:
    r = await _post(town, b"nom;prenom\nMartin;Claire\n", "?skip_invalid=true")
    body = await r.json()
    assert r.status == 422, body
    assert {e["line"] for e in body["errors"]} == {1}
    r = await _post(town, b"nom;prenom\nMartin;Claire\n", "?dry_run=true")
    assert r.status == 422
