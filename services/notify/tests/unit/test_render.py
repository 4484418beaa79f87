"""Every email template renders in French, with its link, the tenant's name and contact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import aiosmtplib
import pytest

from notify.domain import account_emails
from notify.domain.plans import jsonable
from notify.mailer import build_message, classify, message_id
from notify.render import Renderer, Tenant, french_datetime
from shared.events.envelope import new_event

RENDERER = Renderer()
TENANT = Tenant.build(
    "epagny",
    {
        "name": "Ville d'Épagny Metz-Tessy",
        "contact_service": "le service Petite Enfance",
        "contact_email": "petite-enfance@epagnymetztessy.fr",
        "contact_phone": "04.50.22.05.57",
        "primary_color": "#00695c",
        "portal_url": "https://portail.epagnymetztessy.fr",
    },
    default_sender="ne-pas-repondre@portail-famille.fr",
    default_portal_url="http://127.0.0.1:8080",
)
WHEN = "2025-11-25T13:30:00+00:00"
BASE = {"account_id": str(uuid.uuid4()), "email": "lea@example.org", "display_name": "Léa Martin"}

CHILD = {
    "child_id": "c1",
    "child_first_name": "Léa",
    "activity_id": "a1",
    "activity_name": "Cantine",
    "site": "École du Centre",
}

MANDATE = {
    "mandate_id": "md1",
    "regie_name": "Régie Enfance-Jeunesse",
    "rum": "RUM-EPAGNY-2027-000123",
    "holder": "Léa Martin",
    "iban_masked": "FR76 **** **** **** **** **** 189",
}
DEBIT = {
    **MANDATE,
    "invoice_id": "i1",
    "invoice_number": "F-CANTINE-2027-000007",
    "amount_cents": 7055,
    "collection_date": "2027-02-05",
}

# template → (context, expected subject, link the family must be able to follow)
CASES = {
    "account_registered": (
        {"activation_url": "https://p.fr/activer?token=a1", "expires_at": WHEN},
        "Activez votre compte du portail famille de Ville d'Épagny Metz-Tessy",
        "https://p.fr/activer?token=a1",
    ),
    "account_activated": (
        {"roles": ["family"]},
        "Bienvenue sur le portail famille de Ville d'Épagny Metz-Tessy",
        "https://portail.epagnymetztessy.fr",
    ),
    "account_invited": (
        {"invitation_url": "https://p.fr/invitation?token=b2", "expires_at": WHEN},
        "Votre compte sur le portail famille de Ville d'Épagny Metz-Tessy",
        "https://p.fr/invitation?token=b2",
    ),
    "password_reset": (
        {"reset_url": "https://p.fr/reset?token=c3", "expires_at": WHEN},
        "Réinitialisation de votre mot de passe",
        "https://p.fr/reset?token=c3",
    ),
    "password_changed": (
        {"reason": "change", "changed_at": WHEN},
        "Votre mot de passe a été modifié",
        "https://portail.epagnymetztessy.fr",
    ),
    "email_change_confirm": (
        {
            "new_email": "lea.new@example.org",
            "confirmation_url": "https://p.fr/email?token=d4",
            "expires_at": WHEN,
        },
        "Confirmez votre nouvelle adresse e-mail",
        "https://p.fr/email?token=d4",
    ),
    "email_change_notice": (
        {"new_email": "lea.new@example.org", "confirmation_url": "x", "expires_at": WHEN},
        "Demande de changement de votre adresse e-mail",
        None,
    ),
    "email_changed": (
        {"old_email": "lea.old@example.org"},
        "L'adresse e-mail de votre compte a été modifiée",
        None,
    ),
    "account_locked": (
        {"locked_until": WHEN, "failed_attempts": 5},
        "Votre compte est temporairement bloqué",
        "https://portail.epagnymetztessy.fr",
    ),
    # family events: the context events.family_context builds; the name comes from the account
    "change_approved": (
        {"summary": "Modification d'un enfant : Léa Martin", "reason": None},
        "Votre modification du dossier famille a été acceptée",
        "https://portail.epagnymetztessy.fr/dossier",
    ),
    "change_rejected": (
        {"summary": "Modification d'un enfant : Léa Martin", "reason": "Pièce manquante"},
        "Votre modification du dossier famille a été refusée",
        "https://portail.epagnymetztessy.fr/dossier",
    ),
    "document_validated": (
        {"document_label": "Avis d'imposition", "valid_until": "2026-08-31"},
        "Votre document « Avis d'imposition » a été validé",
        "https://portail.epagnymetztessy.fr/documents",
    ),
    "document_rejected": (
        {"document_label": "Attestation CAF", "reason": "Document illisible"},
        "Votre document « Attestation CAF » a été refusé",
        "https://portail.epagnymetztessy.fr/documents",
    ),
    "request_answered": (
        {
            "request_subject": "Absence de Léa le 3 mars",
            "request_id": "4a6e",
            "status": "answered",
            "topic_label": None,
        },
        "Réponse à votre demande « Absence de Léa le 3 mars »",
        "https://portail.epagnymetztessy.fr/demandes/4a6e",
    ),
    "household_creation_rejected": (
        {"reason": "Votre famille a déjà un dossier : demandez votre code abonné."},
        "Votre demande de création de dossier famille a été refusée",
        "https://portail.epagnymetztessy.fr/dossier",
    ),
    # booking events: the context notify.domain.activity_emails builds
    "basket_recap": (
        {
            "basket_id": "b1",
            "parts": {
                "e1": {
                    **CHILD,
                    "confirmed": [{"date": "2026-01-05", "late": False}],
                    "waiting": ["2026-01-06"],
                    "cancelled": [],
                }
            },
        },
        "Confirmation de vos réservations pour Léa",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    "enrollment_approved": (
        {**CHILD, "automatic": True, "period_from": "2025-09-01", "period_to": "2026-07-03"},
        "Inscription de Léa à « Cantine » acceptée",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    "enrollment_rejected": (
        {**CHILD, "reason": None, "period_from": "2025-09-01", "period_to": "2026-07-03"},
        "Inscription de Léa à « Cantine » refusée",
        "https://portail.epagnymetztessy.fr/inscriptions",
    ),
    "waiting_list_promoted": (
        {**CHILD, "date": "2026-01-05", "late": False},
        "Une place s'est libérée : Léa est inscrit(e) le lundi 5 janvier 2026",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    "reservation_cancelled": (
        {
            **CHILD,
            "dates": [{"date": "2026-01-05", "late": False}],
            "cancelled_by": "family",
            "reason": None,
            "charged": False,
        },
        "Annulation : Léa — Cantine le lundi 5 janvier 2026",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    "reservation_day_closed": (
        {**CHILD, "dates": ["2026-01-05"], "reason": "Grève du personnel"},
        "Jour fermé : Léa — Cantine le lundi 5 janvier 2026",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    "waiting_list_day_closed": (
        {**CHILD, "booking_id": "b1", "dates": ["2026-01-05"], "reason": "Grève du personnel"},
        "Jour fermé : liste d'attente de Léa — Cantine le lundi 5 janvier 2026",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    "absence_justified": (
        {**CHILD, "date": "2026-01-05", "absence_reason": "Maladie", "note": None},
        "Absence de Léa le lundi 5 janvier 2026 justifiée",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    "absence_refused": (
        {
            **CHILD,
            "date": "2026-01-05",
            "absence_reason": "Maladie",
            "decision_reason": "Certificat manquant.",
        },
        "Absence de Léa le lundi 5 janvier 2026 : justification refusée",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    # billing events: the context notify.domain.invoice_emails builds
    "invoice_issued": (
        {
            "invoice_id": "i1",
            "regie_name": "Régie Enfance-Jeunesse",
            "number": "F-CANTINE-2026-000042",
            "origin": "campaign",
            "issue_date": "2026-12-31",
            "due_date": "2027-01-15",
            "total_cents": 7055,
            "credit_cents": 0,
            "amount_due_cents": 7055,
            "to_pay": True,
        },
        "Nouvelle facture disponible : facture n° F-CANTINE-2026-000042",
        "https://portail.epagnymetztessy.fr/factures",
    ),
    "credit_note_issued": (
        {
            "credit_note_id": "c1",
            "regie_name": "Régie Enfance-Jeunesse",
            "number": "A-CANTINE-2026-000007",
            "issue_date": "2026-12-20",
            "total_cents": 1200,
            "reason": "Absence justifiée",
        },
        "Avoir émis : avoir n° A-CANTINE-2026-000007 de 12,00 €",
        "https://portail.epagnymetztessy.fr/factures",
    ),
    # payments, wallet, reminders: the context notify.domain.payment_emails builds
    "payment_received": (
        {
            "payment_id": "p1",
            "regie_name": "Régie Enfance-Jeunesse",
            "number": "R-CANTINE-2027-000012",
            "method": "card",
            "method_label": "Carte bancaire",
            "amount_cents": 123456,
            "received_on": "2027-01-15",
            "allocations": [
                {
                    "invoice_id": "i1",
                    "invoice_number": "F-CANTINE-2026-000042",
                    "amount_cents": 123456,
                    "remaining_cents": 0,
                }
            ],
            "credit_cents": 0,
        },
        "Reçu de paiement n° R-CANTINE-2027-000012 : 1 234,56 €",
        "https://portail.epagnymetztessy.fr/factures",
    ),
    "payment_refused": (
        {"transaction_id": "t1", "amount_cents": 7055, "invoice_count": 1, "for_basket": False},
        "Votre paiement de 70,55 € n'a pas abouti",
        "https://portail.epagnymetztessy.fr/factures",
    ),
    "wallet_credited": (
        {
            "movement_id": "m1",
            "reason": "top_up",
            "reason_label": "Rechargement par carte bancaire",
            "amount_cents": 5000,
            "balance_cents": 6250,
        },
        "Votre tirelire a été rechargée de 50,00 €",
        "https://portail.epagnymetztessy.fr/tirelire",
    ),
    "invoice_reminded": (
        {
            "invoice_id": "i1",
            "regie_name": "Régie Enfance-Jeunesse",
            "number": "F-CANTINE-2026-000042",
            "issue_date": "2026-12-31",
            "due_date": "2027-01-15",
            "total_cents": 7055,
            "amount_due_cents": 7055,
            "level": 1,
            "rank": "1re",
            "last": False,
        },
        "1re relance : facture n° F-CANTINE-2026-000042 à régler",
        "https://portail.epagnymetztessy.fr/factures",
    ),
    # direct debit: the context notify.domain.direct_debit_emails builds
    "mandate_requested": (
        {
            **MANDATE,
            "signature_url": "https://sign.example.fr/m/abc",
            "expires_at": WHEN,
        },
        "Votre mandat de prélèvement SEPA à signer",
        "https://sign.example.fr/m/abc",
    ),
    "mandate_activated": (
        {**MANDATE, "signed_on": "2027-01-03", "recorded_by": "family"},
        "Votre prélèvement automatique est activé",
        "https://portail.epagnymetztessy.fr/prelevement",
    ),
    "mandate_suspended": (
        {**MANDATE, "rejections": 2},
        "Votre prélèvement automatique est suspendu",
        "https://portail.epagnymetztessy.fr/factures",
    ),
    "mandate_revoked": (
        {**MANDATE, "revoked_by": "family"},
        "Votre mandat de prélèvement est révoqué",
        "https://portail.epagnymetztessy.fr/factures",
    ),
    "direct_debit_announced": (
        {**DEBIT},
        "Avis de prélèvement : 70,55 € le 5 février 2027",
        "https://portail.epagnymetztessy.fr/factures",
    ),
    "direct_debit_rejected": (
        {
            **DEBIT,
            "reason_code": "AM04",
            "reason_label": "Provision insuffisante",
            "rejections": 1,
            "suspension_ahead": True,
        },
        "Prélèvement rejeté : facture n° F-CANTINE-2027-000007 à régler",
        "https://portail.epagnymetztessy.fr/factures",
    ),
    # booking's released holds: the context notify.domain.activity_emails builds
    "booking_hold_released": (
        {
            "basket_id": "b1",
            "parts": {
                "e1": {
                    **CHILD,
                    "released": [{"date": "2026-01-05", "late": False}],
                    "reason": "payment_expired",
                }
            },
        },
        "Réservations non payées libérées pour Léa",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    # booking's renewals for the new school year (issue 16)
    "renewals_proposed": (
        {
            "campaign_id": "k1",
            "campaign_name": "Périscolaire 2027-2028",
            "school_year": "2027-2028",
            "opens_on": "2027-06-01",
            "closes_on": "2027-07-15",
            "children": [
                {
                    "child_id": "c1",
                    "first_name": "Léa",
                    "activities": ["Cantine 2027-2028"],
                    "ineligible": [{"name": "Étude CM2", "reason": "Réservée aux CM2."}],
                }
            ],
        },
        "Renouvellement des inscriptions 2027-2028",
        "https://portail.epagnymetztessy.fr/inscriptions/renouvellement/k1",
    ),
    # the fair opening (issue 18): the contexts notify.domain.fair_opening_emails builds
    "allocation_decided": (
        {
            "window_id": "w1",
            "window_name": "Vacances d'hiver 2027",
            "request_id": "r1",
            "activity_id": "a1",
            "activity_name": "Centre de loisirs",
            "level": 1,
            "level_label": "Résident de la commune",
            "rank": 3,
            "rank_fr": "3e",
            "entries": 40,
            "children": [
                {
                    "child_id": "c1",
                    "first_name": "Léa",
                    "booked": ["2027-02-15", "2027-02-16"],
                    "waiting": ["2027-02-17"],
                }
            ],
        },
        "Résultat du tirage au sort : Centre de loisirs",
        "https://portail.epagnymetztessy.fr/reservations/fenetres/w1",
    ),
    "place_offered": (
        {
            **CHILD,
            "offer_id": "o1",
            "booking_id": "bk1",
            "date": "2026-01-05",
            "expires_at": WHEN,
            "accept_url": "https://portail.epagnymetztessy.fr/offres/accepter/tok1",
        },
        "Une place s'est libérée : Cantine le lundi 5 janvier 2026",
        "https://portail.epagnymetztessy.fr/offres/accepter/tok1",
    ),
    "offer_lapsed": (
        {**CHILD, "offer_id": "o1", "booking_id": "bk1", "date": "2026-01-05", "reason": "expired"},
        "Le délai pour accepter la place est dépassé",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    "booking_reminder": (
        {
            "household_id": "h1",
            "week_from": "2026-01-05",
            "week_to": "2026-01-09",
            "deadline": WHEN,
            "days": [{"date": "2026-01-05", "activities": ["Accueil du soir", "Cantine"]}],
        },
        "Pensez à réserver la semaine du 5 janvier 2026",
        "https://portail.epagnymetztessy.fr/reservations",
    ),
    "basket_reminder": (
        {"basket_id": "b1", "deadline": WHEN, "lines": 3},
        "Votre panier n'est pas validé",
        "https://portail.epagnymetztessy.fr/reservations/panier",
    ),
}


def test_every_template_has_a_case():
    assert sorted(CASES) == RENDERER.templates()


@pytest.mark.parametrize("template", sorted(CASES))
def test_template_renders(template):
    context, subject, link = CASES[template]
    out = RENDERER.render(template, {**BASE, **context}, TENANT)
    assert out.subject == subject
    assert out.text.startswith("Ville d'Épagny Metz-Tessy\n\nBonjour Léa Martin,\n")
    assert "Bonjour Léa Martin," in out.html
    contact = (
        "contactez le service Petite Enfance : petite-enfance@epagnymetztessy.fr"
        " ou au 04.50.22.05.57."
    )
    assert contact in out.text and contact in out.html
    assert "Ville d&#39;Épagny Metz-Tessy" in out.html
    assert "background:#00695c" in out.html
    assert "{{" not in out.text + out.html
    if link:
        assert f"\n{link}\n" in out.text  # alone on its line: clickable in any mail client
        assert f'<a href="{link}"' in out.html
    if "expires_at" in context and template != "email_change_notice":
        assert "mardi 25 novembre 2025 à 14 h 30" in out.text


def test_html_escapes_what_families_typed():
    out = RENDERER.render(
        "password_changed",
        {**BASE, "display_name": "<script>x</script> & Cie", "changed_at": WHEN},
        TENANT,
    )
    assert "<script>" not in out.html
    assert "&lt;script&gt;x&lt;/script&gt; &amp; Cie" in out.html
    assert "<script>x</script> & Cie" in out.text  # plain text is not HTML


def test_defaults_without_tenant_settings():
    tenant = Tenant.build(
        "annecy", None, default_sender="ne-pas-repondre@pf.fr", default_portal_url="http://x"
    )
    assert tenant.configured is False
    assert tenant.reply_to is None
    out = RENDERER.render("account_locked", {**BASE, **CASES["account_locked"][0]}, tenant)
    assert "contactez le service Enfance de votre mairie." in out.text


def test_footer_with_phone_only():
    tenant = Tenant.build(
        "x",
        {"name": "Ville", "contact_phone": "01 02 03 04 05"},
        default_sender="a@b.fr",
        default_portal_url="http://x",
    )
    out = RENDERER.render("email_changed", {**BASE, "old_email": "o@example.org"}, tenant)
    assert "contactez le service Enfance de votre mairie : au 01 02 03 04 05." in out.text


def test_french_dates():
    assert french_datetime("2025-06-01T08:05:00+00:00") == "dimanche 1er juin 2025 à 10 h 05"
    assert french_datetime(datetime(2025, 1, 15, 12, 0, tzinfo=UTC)) == (
        "mercredi 15 janvier 2025 à 13 h 00"
    )
    assert french_datetime(None) == ""


def test_message_has_both_parts_and_a_stable_id():
    email_id = uuid.uuid4()
    rendered = RENDERER.render("password_reset", {**BASE, **CASES["password_reset"][0]}, TENANT)
    message = build_message(email_id, "lea@example.org", rendered, TENANT)
    assert message["Message-ID"] == f"<{email_id}@portail-famille.fr>"
    assert message["Message-ID"] == message_id(email_id, "ne-pas-repondre@portail-famille.fr")
    assert message["Reply-To"] == "petite-enfance@epagnymetztessy.fr"
    assert message["Subject"] == "Réinitialisation de votre mot de passe"
    assert message.get_body(("plain",)).get_content() == rendered.text
    assert message.get_body(("html",)).get_content() == rendered.html


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (aiosmtplib.SMTPDataError(451, "4.3.0 plus tard"), "temporary"),
        (aiosmtplib.SMTPDataError(550, "5.1.1 inconnu"), "permanent"),
        (aiosmtplib.SMTPSenderRefused(553, "refusé", "a@b.fr"), "permanent"),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(550, "no such user", "x@y.fr")]
            ),
            "permanent",
        ),
        (
            aiosmtplib.SMTPRecipientsRefused(
                [aiosmtplib.SMTPRecipientRefused(452, "mailbox full", "x@y.fr")]
            ),
            "temporary",
        ),
        (aiosmtplib.SMTPAuthenticationError(535, "bad credentials"), "temporary"),
        (aiosmtplib.SMTPConnectError("refused"), "temporary"),
        (aiosmtplib.SMTPServerDisconnected("gone"), "temporary"),
        (ConnectionRefusedError(111, "Connection refused"), "temporary"),
        (TimeoutError(), "temporary"),
    ],
)
def test_smtp_failures_are_classified(error, status):
    outcome = classify(error)
    assert outcome.status == status
    if isinstance(error, aiosmtplib.SMTPResponseException):
        assert str(error.code) in outcome.detail


def _event(event_type, **payload):
    base = {"account_id": uuid.uuid4(), "email": "lea@example.org", "display_name": "Léa"}
    return new_event(event_type, {**base, **payload}, tenant_id="epagny", producer="identity")


def plan(event):
    """An identity event's emails and notice (what its use case writes)."""
    p = event.payload
    match event.type:
        case "identity.EmailChangeRequested":
            return account_emails.email_change_requested(p)
        case "identity.EmailChanged":
            return account_emails.email_changed(p)
        case "identity.AccountInvited":
            return account_emails.account_invited(p)
        case "identity.AccountLocked":
            return account_emails.account_locked(p, "Europe/Paris")
    raise AssertionError(event.type)


def test_plan_recipients():
    soon = datetime(2025, 11, 25, 13, 30, tzinfo=UTC)
    mails, notice = plan(
        _event(
            "identity.EmailChangeRequested",
            new_email="new@example.org",
            confirmation_url="https://p.fr/c",
            expires_at=soon,
        )
    )
    assert [(m.recipient, m.template) for m in mails] == [
        ("new@example.org", "email_change_confirm"),
        ("lea@example.org", "email_change_notice"),
    ]
    assert notice is not None and "new@example.org" in notice.body
    mails, _ = plan(_event("identity.EmailChanged", old_email="old@example.org"))
    assert [(m.recipient, m.template) for m in mails] == [("old@example.org", "email_changed")]
    mails, notice = plan(
        _event(
            "identity.AccountInvited",
            roles=["staff"],
            invitation_url=None,
            expires_at=None,
            invited_by=uuid.uuid4(),
        )
    )
    assert mails == [] and notice is not None
    mails, notice = plan(_event("identity.AccountLocked", locked_until=soon, failed_attempts=5))
    assert notice is not None and "mardi 25 novembre 2025 à 14 h 30" in notice.body
    assert mails[0].context["locked_until"] == soon.isoformat()


def test_jsonable():
    value = uuid.uuid4()
    assert jsonable({"a": value, "b": [value], "c": 1}) == {
        "a": str(value),
        "b": [str(value)],
        "c": 1,
    }
