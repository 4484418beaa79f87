"""The subscriber-code letter and a lost code in a real browser (issue 15, issue 16's
mailing): staff open a household through the API; an agent opens its file, downloads the
letter (a PDF printing the code), asks for a new code, confirms with the keyboard after being
told the old one stops working, and sees the new code. Through the API, the old code then
links nothing and the new one links a family's account. axe-core on every page."""

from __future__ import annotations

import io
import random
import re
import string
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import expect
from pypdf import PdfReader

from shared.testing.browser import STAFF, TENANT, Api, Stack, household_of, new_family

T = f"/family/tenants/{TENANT}"
DESKTOP = {"width": 1280, "height": 900}


def tag() -> str:
    """Letters only (names refuse digits), so this test's household is its own."""
    return "".join(random.choices(string.ascii_lowercase, k=8))


def test_an_agent_prints_the_letter_and_replaces_a_lost_code(
    stack: Stack, api: Api, open_tab: Any
) -> None:
    base = stack.url
    last = f"Lettre{tag()}"
    staff = api.login(STAFF)
    child = {"first_name": "Jules", "last_name": last, "birth_date": "2018-03-04"}
    household = api.call(
        "POST",
        f"{T}/households",
        staff,
        household_of(f"lettre-{uuid.uuid4().hex[:8]}@demo.example", "Sarah", last, [child]),
    )
    old_code = household["subscriber_code"]

    tab = open_tab("gestion-lettres", viewport=DESKTOP)
    page = tab.page
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail ou identifiant").fill(STAFF)
    page.get_by_label("Mot de passe").fill("Demo-2026-portail")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("navigation", name="Menu principal")).to_be_visible()
    page.goto(f"{base}/gestion/foyers/{household['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Foyer de Sarah {last}")
    expect(page.locator("main")).to_contain_text(old_code)
    tab.visits.check("dossier")

    # The letter: a PDF printing the code, the guardian and the child.
    with page.expect_download() as download:
        page.get_by_role("link", name="Lettre du code abonné (PDF)").click()
    assert download.value.suggested_filename == f"lettre-code-abonne-{old_code}.pdf"
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert old_code in text and f"Sarah {last}" in text and f"Jules {last}" in text

    # A new code: the confirmation says the old one stops working; confirmed by keyboard.
    page.get_by_role("link", name="Générer un nouveau code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Générer un nouveau code abonné pour le foyer de Sarah {last} ?"
    )
    expect(page.locator("main")).to_contain_text("cessera de fonctionner immédiatement")
    tab.visits.check("nouveau-code-confirmation")
    page.get_by_role("button", name="Générer un nouveau code").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Nouveau code abonné du foyer de Sarah {last}"
    )
    shown = page.get_by_role("status")
    expect(shown).to_contain_text("L'ancien code ne fonctionne plus")
    new_code = shown.locator("strong.code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", new_code) and new_code != old_code
    tab.visits.check("nouveau-code")
    page.get_by_role("link", name=re.compile("Retour au foyer")).click()
    expect(page.locator("main")).to_contain_text(new_code)
    expect(page.locator("main")).not_to_contain_text(old_code)

    # The old code links nothing any more; the new one does.
    family = new_family(api, stack.mailbox, f"code-{uuid.uuid4().hex[:8]}@demo.example")
    refused = api.call("POST", f"{T}/me/household/link", family, {"code": old_code}, ok=(422,))
    assert refused["errors"][0]["field"] == "code"
    linked = api.call("POST", f"{T}/me/household/link", family, {"code": new_code})
    assert linked["household_id"] == household["id"]
