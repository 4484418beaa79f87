"""Guide 004 through the gateway only: a citizen account created with the captcha, activated
from the emailed link; the family subscribes with the subscriber code of the town's letter
(« Mes abonnements »), logs in again for the subscription to take effect; completes its file
(a child's diet and permission, a contact allowed to pick the child up, a new address with
its proof of address in the same form), each change waiting for the town; staff validate
them; the family sees its file updated and has the emails, whose link leads to its file."""

from __future__ import annotations

import json
from typing import Any

from shared.testing.browser import PASSWORD, TENANT, eventually, household_of, solve_captcha

T = f"/tenants/{TENANT}"


def test_an_account_with_captcha_subscribes_completes_its_file_and_staff_validate(
    gateway: Any, run_id: str
) -> None:
    gw, staff = gateway, gateway.staff()
    email = f"guide004-{run_id}@exemple.fr"
    # The town opened the household and sent its letter with the subscriber code.
    child = {"first_name": "Inès", "last_name": "Garnier", "birth_date": "2018-11-20"}
    opened = gw.call(
        "POST",
        f"/family{T}/households",
        staff,
        household_of(email, "Julie", "Garnier", [child]),
    )

    # --- step 1: the citizen account, the captcha answered, activated from the email ------
    challenge = gw.call("GET", f"/identity{T}/captcha/challenge", {})
    wrong = gw.answer(
        "POST",
        f"/identity{T}/signup",
        {},
        {"display_name": "Julie Garnier", "email": email, "password": PASSWORD, "captcha": "x"},
    )
    assert wrong.status == 422 and "captcha" in wrong.text(), wrong.text()
    accepted = gw.answer(
        "POST",
        f"/identity{T}/signup",
        {},
        {
            "display_name": "Julie Garnier",
            "email": email,
            "password": PASSWORD,
            "captcha": solve_captcha(challenge),
        },
    )
    assert accepted.status == 202, accepted.text()
    refused = gw.answer("POST", f"/identity{T}/login", {}, {"login": email, "password": PASSWORD})
    assert refused.status in (401, 403), refused.text()  # not before the activation
    message = gw.mailbox.wait_for(email, "Activez votre compte")
    token = gw.token(message, "/activation?token=")
    gw.call("POST", f"/identity{T}/activation", {}, {"token": token})
    family = gw.login(email)
    me = gw.call("GET", f"/identity{T}/me", family)
    if me["terms"]["must_accept"]:
        gw.call(
            "POST", f"/identity{T}/me/terms", family, {"version": me["terms"]["current_version"]}
        )
        family = gw.login(email)
    # Not a family of the town yet: no household file.
    assert gw.answer("GET", f"/family{T}/me/household", family).status == 404

    # --- step 2: « M'abonner » with the code, then log out and in again -------------------
    wrong_code = gw.answer("POST", f"/family{T}/me/household/link", family, {"code": "ZZZZ-ZZZZ"})
    assert wrong_code.status in (404, 422), wrong_code.text()
    gw.call("POST", f"/family{T}/me/household/link", family, {"code": opened["subscriber_code"]})
    family = gw.session_with_household(email)
    (subscription,) = gw.call("GET", f"/family{T}/accounts/me/households", family)["items"]
    assert subscription["id"] == opened["id"] and subscription["current"] is True
    assert subscription["children"] == ["Inès"]
    assert "Garnier" in subscription["label"]

    # --- « Gérer votre dossier de famille »: three changes, each waiting for the town ------
    file = gw.call("GET", f"/family{T}/me/household", family)
    (ines,) = file["children"]
    assert ines["diet"] == "standard"
    permissions = {p["code"]: p["granted"] for p in ines["permissions"]}
    assert "sorties" in permissions and permissions["sorties"] is not True
    kid = f"/family{T}/me/household/children/{ines['id']}"
    gw.call("PATCH", kid, family, {"diet": "vegetarian", "permissions": {"sorties": True}})
    unknown = gw.answer("PATCH", kid, family, {"permissions": {"parachute": True}})
    assert unknown.status == 422 and "permissions.parachute" in unknown.text(), unknown.text()
    gw.call(
        "POST",
        f"{kid}/contacts",
        family,
        {
            "first_name": "Paul",
            "last_name": "Garnier",
            "phone": "06 98 76 54 32",
            "relationship": "Grand-père",
            "can_pick_up": True,
        },
    )
    new_address = {"line1": "12 rue des Tilleuls", "postal_code": "74370", "city": "Argonay"}
    # A new address needs its proof: without it, refused by the field.
    unproved = gw.answer("PATCH", f"/family{T}/me/household", family, {"address": new_address})
    assert unproved.status == 422 and "proof_document_id" in unproved.text(), unproved.text()
    gw.upload(
        f"/family{T}/me/household/proved-changes",
        family,
        {"change": json.dumps({"address": new_address})},
        name="facture-edf.pdf",
    )
    mine = gw.call("GET", f"/family{T}/me/household/changes", family)["items"]
    assert len(mine) == 3 and {c["status"] for c in mine} == {"pending"}, mine
    # Nothing applied before the town decides.
    assert gw.call("GET", f"/family{T}/me/household", family)["children"][0]["diet"] == "standard"

    # --- staff validate each change (the proof beside the address) ------------------------
    queued = gw.call("GET", f"/family{T}/changes?household_id={opened['id']}", staff)["items"]
    address_change = next(c for c in queued if c.get("proof_document_id"))
    approved = gw.approve_changes(staff, opened["id"], 3)
    assert {c["status"] for c in approved} == {"approved"}
    proof = gw.call("GET", f"/family{T}/documents/{address_change['proof_document_id']}", staff)
    assert proof["status"] == "validated", proof

    # --- the family sees its file updated, and has the emails -----------------------------
    file = gw.call("GET", f"/family{T}/me/household", family)
    (ines,) = file["children"]
    assert ines["diet"] == "vegetarian"
    assert {p["code"]: p["granted"] for p in ines["permissions"]}["sorties"] is True
    (contact,) = ines["contacts"]
    assert (contact["first_name"], contact["can_pick_up"]) == ("Paul", True)
    assert file["address"]["city"] == "Argonay" and file["pending_changes"] == 0
    decided = gw.call("GET", f"/family{T}/me/household/changes?status=approved", family)["items"]
    assert len(decided) == 3
    message = gw.mailbox.wait_for(email, "Votre modification du dossier famille a été acceptée")
    gw.link(message, "/dossier")
    eventually(
        lambda: (
            len(gw.mailbox.to(email, "Votre modification du dossier famille a été acceptée")) == 3
        ),
        message=lambda: [str(m["Subject"]) for m in gw.mailbox.to(email)],
    )
