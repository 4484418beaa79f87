"""Guides 000 and 001 through the gateway only: the town creates the family's account with a
temporary password and links it to the household it opened; the family logs in with its
identifier (the part of its email before the @), must change the password before anything
else, accepts the terms of use; a postpaid invoice is emailed; the family asks for direct
debit with its IBAN and signs the mandate from the emailed link, effective from the next
invoice; the next invoices are announced and debited, the bank rejects them twice and the
mandate is suspended, said by email; a request to the town with its attachment is answered;
a forgotten password is reset from the emailed link, asked with the identifier."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.testing.browser import TENANT, eventually, household_of, paris_today

T = f"/tenants/{TENANT}"
DAY_CENTS = 415
IBAN = "FR7630006000011234567890189"
CREDITOR = {
    "creditor_id": "FR72ZZZ123456",
    "creditor_name": "Ville de Démo – petite enfance",
    "iban": "FR7630001000000079412345605",
    "bic": "BDFEFRPP",
}
NEW_PASSWORD = "Portail-Famille-2027"
RESET_PASSWORD = "Creche-Pic-et-Plume-9"


def test_staff_created_account_postpaid_invoices_direct_debit_suspended_request_answered(
    gateway: Any, run_id: str
) -> None:
    gw, staff = gateway, gateway.staff()
    today = paris_today()
    identifier = f"durand.simon.{run_id}"
    email = f"{identifier}@live.example"

    # --- the town: a nursery billed afterwards, collected by direct debit -----------------
    regie = gw.call(
        "POST",
        f"/billing{T}/regies",
        staff,
        {
            "code": f"EAJE{run_id.upper()}",
            "name": f"Régie petite enfance {run_id}",
            "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
            "email": "petite-enfance@demo.example",
        },
    )
    gw.call("PUT", f"/billing{T}/regies/{regie['id']}/direct-debit", staff, CREDITOR)
    creche = gw.call(
        "POST",
        f"/booking{T}/activities",
        staff,
        {
            "name": f"Multi-accueil Pic et Plume {run_id}",
            "type": "PERI",
            "site": "Pic et Plume",
            "period_from": (today + timedelta(days=3)).isoformat(),
            "period_to": (today + timedelta(days=30)).isoformat(),
            "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "school_time": False,
            "skip_public_holidays": False,
            "capacity": 10,
            "booking_deadline": {"days_before": 1, "at": "23:59"},
            "cancel_deadline": {"days_before": 1, "at": "23:59"},
        },
    )
    gw.call(
        "PUT",
        f"/billing{T}/billing/activities/{creche['id']}",
        staff,
        {
            "regie_id": regie["id"],
            "name": creche["name"],
            "billing_mode": "postpaid",
            "unit": "day",
            "childcare": True,
        },
    )
    gw.call(
        "POST",
        f"/billing{T}/billing/activities/{creche['id']}/price-grids",
        staff,
        {
            "valid_from": today.isoformat(),
            "brackets": [{"qf_min": 0, "qf_max": None, "amounts": [DAY_CENTS]}],
        },
    )

    # --- the account made by staff with a temporary password, linked to the household -----
    created = gw.call(
        "POST",
        f"/identity{T}/accounts",
        staff,
        {
            "display_name": "Simon Durand",
            "email": email,
            "roles": ["family"],
            "mode": "temporary_password",
        },
    )
    temporary, account = created["temporary_password"], created["account"]
    assert account["must_change_password"] is True
    child = {"first_name": "Lou", "last_name": "Durand", "birth_date": f"{today.year - 2}-02-14"}
    household = gw.call(
        "POST",
        f"/family{T}/households",
        staff,
        household_of(email, "Simon", "Durand", [child]),
    )
    eventually(  # family heard of the account (identity's events)
        lambda: (
            gw.answer(
                "POST",
                f"/family{T}/households/{household['id']}/accounts",
                staff,
                {"account_id": account["id"]},
            ).status
            in (200, 201)
        )
    )

    # --- first login with the identifier: the password must be changed first -------------
    first = gw.call("POST", f"/identity{T}/login", {}, {"login": identifier, "password": temporary})
    assert first["password_change_required"] is True and not first.get("refresh_token")
    limited = {"Authorization": f"Bearer {first['access_token']}"}
    refused = gw.answer("GET", f"/family{T}/me/household", limited)
    assert refused.status == 403 and "password-change-required" in refused.text()
    weak = gw.answer(
        "POST",
        f"/identity{T}/me/password",
        limited,
        {"current_password": temporary, "new_password": "court"},
    )
    assert weak.status == 422, weak.text()
    gw.call(
        "POST",
        f"/identity{T}/me/password",
        limited,
        {"current_password": temporary, "new_password": NEW_PASSWORD},
    )
    # --- the terms of use, then the portal -----------------------------------------------
    family = gw.login(identifier, NEW_PASSWORD)
    me = gw.call("GET", f"/identity{T}/me", family)
    assert me["terms"]["must_accept"] is True
    pending = gw.answer("GET", f"/family{T}/me/household", family)
    assert pending.status == 403 and "terms-not-accepted" in pending.text()
    gw.call("POST", f"/identity{T}/me/terms", family, {"version": me["terms"]["current_version"]})
    family = gw.session_with_household(identifier, NEW_PASSWORD)
    file = gw.call("GET", f"/family{T}/me/household", family)
    assert file["id"] == household["id"]
    (lou,) = file["children"]

    # --- the child's days at the nursery (booked for the family by its app) ---------------
    eventually(
        lambda: (
            gw.answer(
                "POST",
                f"/booking{T}/enrollments",
                family,
                {"child_id": lou["id"], "activity_id": creche["id"]},
            ).status
            == 201
        )
    )
    days = [today + timedelta(days=n) for n in range(3, 9)]
    basket = gw.call(
        "POST",
        f"/booking{T}/baskets",
        family,
        {
            "lines": [
                {
                    "child_id": lou["id"],
                    "activity_id": creche["id"],
                    "dates": [d.isoformat() for d in days],
                }
            ]
        },
    )
    assert gw.call("POST", f"/booking{T}/baskets/{basket['id']}/validate", family, {})[
        "confirmed"
    ] == len(days)

    def invoice_of(period: list[date]) -> dict[str, Any]:
        """Staff's postpaid campaign over `period` (two days), finalised: its invoice."""
        drafts: list[dict[str, Any]] = []

        def drafted() -> bool:
            # A draft tried and dropped (its days billable again) until billing knows them.
            draft = gw.call(
                "POST",
                f"/billing{T}/campaigns",
                staff,
                {
                    "regie_id": regie["id"],
                    "period_from": period[0].isoformat(),
                    "period_to": period[-1].isoformat(),
                },
                ok=(201,),
            )
            if draft["draft_cents"] == 2 * DAY_CENTS:
                drafts.append(draft)
                return True
            gw.call("DELETE", f"/billing{T}/campaigns/{draft['id']}", staff, ok=(204,))
            return False

        eventually(drafted)
        gw.call("POST", f"/billing{T}/campaigns/{drafts[-1]['id']}/finalise", staff, {})
        (invoice,) = gw.call("GET", f"/billing{T}/campaigns/{drafts[-1]['id']}/invoices", staff)[
            "invoices"
        ]
        assert invoice["total_cents"] == invoice["remaining_cents"] == 2 * DAY_CENTS
        return invoice

    # --- « Après réception du mail indiquant le dépôt d'une facture » ----------------------
    first_invoice = invoice_of(days[0:2])
    message = gw.mailbox.wait_for(email, f"facture n° {first_invoice['number']}")
    gw.link(message, "/factures")
    mine = gw.call("GET", f"/billing{T}/invoices", family)["invoices"]
    assert [i["number"] for i in mine] == [first_invoice["number"]]

    # --- direct debit: asked with the IBAN, signed from the email -------------------------
    mandates = f"/billing{T}/billing/households/{household['id']}/mandates"
    wrong = gw.answer(
        "POST",
        mandates,
        family,
        {"regie_id": regie["id"], "holder": "Simon Durand", "iban": "FR7630006000011234567890180"},
    )
    assert wrong.status == 422 and "iban" in wrong.text(), wrong.text()
    asked = gw.call(
        "POST",
        mandates,
        family,
        {"regie_id": regie["id"], "holder": "Simon Durand", "iban": IBAN},
        ok=(201,),
    )
    assert asked["status"] != "active"
    message = gw.mailbox.wait_for(email, "Votre mandat de prélèvement SEPA à signer")
    token = gw.token(message, "/prelevement/signature?token=")
    signed = gw.call("POST", f"/billing{T}/mandates/sign", family, {"token": token})
    assert signed["status"] == "active" and "0112 3456" not in signed["iban_masked"]
    gw.mailbox.wait_for(email, "Votre prélèvement automatique est activé")

    def collected(invoice: dict[str, Any]) -> dict[str, Any]:
        """The régie's next batch, at the earliest date: it collects `invoice` only (the
        invoices issued before the mandate are paid otherwise)."""
        creditor = gw.call("GET", f"/billing{T}/regies/{regie['id']}/direct-debit", staff)
        batch = gw.call(
            "POST",
            f"/billing{T}/regies/{regie['id']}/direct-debit-batches",
            staff,
            {"collection_date": creditor["earliest_collection_date"]},
            ok=(201,),
        )
        assert [i["invoice_id"] for i in batch["items"]] == [invoice["id"]], batch
        (item,) = batch["items"]
        return item

    # --- the next invoice debited, rejected by the bank; then the one after ---------------
    second_invoice = invoice_of(days[2:4])
    item = collected(second_invoice)
    assert item["sequence_type"] == "FRST"
    gw.mailbox.wait_for(email, "Avis de prélèvement : 8,30")
    assert (
        gw.call("GET", f"/billing{T}/invoices/{second_invoice['id']}", family)["remaining_cents"]
        == 0
    )
    gw.call(
        "POST",
        f"/billing{T}/direct-debit-rejections",
        staff,
        {"invoice_id": second_invoice["id"], "reason_code": "AM04"},
    )
    message = gw.mailbox.wait_for(
        email, f"Prélèvement rejeté : facture n° {second_invoice['number']}"
    )
    gw.link(message, "/factures")
    assert (
        gw.call("GET", f"/billing{T}/invoices/{second_invoice['id']}", family)["remaining_cents"]
        == 2 * DAY_CENTS
    )
    (still,) = gw.call("GET", mandates, family)["mandates"][:1]
    assert still["status"] == "active"

    third_invoice = invoice_of(days[4:6])
    collected(third_invoice)
    gw.call(
        "POST",
        f"/billing{T}/direct-debit-rejections",
        staff,
        {"invoice_id": third_invoice["id"], "reason_code": "AM04"},
    )
    message = gw.mailbox.wait_for(email, "Votre prélèvement automatique est suspendu")
    gw.link(message, "/factures")
    (suspended,) = gw.call("GET", mandates, family)["mandates"][:1]
    assert suspended["status"] == "suspended", suspended

    # --- « Mes démarches »: a request with its attachment, answered by the town -----------
    sent = gw.upload(
        f"/family{T}/me/household/requests",
        family,
        {
            "topic": "changement_rib",
            "subject": "Nouveau RIB",
            "message": "Voici notre nouveau RIB pour reprendre le prélèvement.",
            "child_id": lou["id"],
        },
        name="rib.pdf",
    )
    assert sent["status"] == "open"
    gw.call(
        "POST",
        f"/family{T}/requests/{sent['id']}/messages",
        staff,
        {"message": "Merci, le mandat sera repris au prochain lot."},
    )
    message = gw.mailbox.wait_for(email, "Réponse à votre demande « Nouveau RIB »")
    gw.link(message, f"/demandes/{sent['id']}")
    thread = gw.call("GET", f"/family{T}/me/household/requests/{sent['id']}", family)
    assert thread["status"] == "answered" and len(thread["messages"]) == 2

    # --- « J'ai oublié mon mot de passe », asked with the identifier ----------------------
    gw.call("POST", f"/identity{T}/password/forgot", {}, {"login": identifier}, ok=(200, 202))
    message = gw.mailbox.wait_for(email, "Réinitialisation de votre mot de passe")
    token = gw.token(message, "/password/reset?token=")
    gw.call(
        "POST",
        f"/identity{T}/password/reset",
        {},
        {"token": token, "new_password": RESET_PASSWORD},
    )
    old = gw.answer(
        "POST", f"/identity{T}/login", {}, {"login": identifier, "password": NEW_PASSWORD}
    )
    assert old.status == 401, old.text()
    assert gw.login(identifier, RESET_PASSWORD)
