"""The family events' emails and notifications: who they go to, what they say."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from notify.domain import household_emails
from notify.domain.plans import Plan
from notify.domain.recipients import unique
from notify.events import HANDLERS
from notify.render import Renderer, Tenant, french_date, portal_link
from shared.events.envelope import new_event, parse_event

RENDERER = Renderer()
TENANT = Tenant.build(
    "epagny",
    {
        "name": "Ville d'Épagny Metz-Tessy",
        "contact_service": "le service Petite Enfance",
        "contact_email": "petite-enfance@epagnymetztessy.fr",
        "contact_phone": "04.50.22.05.57",
        "primary_color": "#00695c",
        "portal_url": "https://portail.epagnymetztessy.fr/",
    },
    default_sender="ne-pas-repondre@portail-famille.fr",
    default_portal_url="http://127.0.0.1:8080",
)
A, B = uuid.uuid4(), uuid.uuid4()


# What each family event writes (its use case sends it to the household's guardians).
LETTERS = {
    "family.ChangeRequestDecided": household_emails.change_request_decided,
    "family.DocumentValidated": household_emails.document_validated,
    "family.DocumentRejected": household_emails.document_rejected,
    "family.RequestAnswered": household_emails.request_answered,
    "family.HouseholdCreationRejected": household_emails.household_creation_rejected,
}


def plan(event, accounts) -> Plan:
    """The event's emails and notice to these accounts."""
    return LETTERS[event.type](event.payload).to(accounts)


def family_event(event_type: str, **payload):
    """As the consumer sees it: through the contract both ways (payload values typed)."""
    event = new_event(event_type, payload, tenant_id="epagny", producer="family")
    return parse_event(event.to_json())


def decided(decision: str, reason: str | None = None):
    return family_event(
        "family.ChangeRequestDecided",
        change_id=uuid.uuid4(),
        household_id=uuid.uuid4(),
        entity="child",
        operation="update",
        summary="Modification d'un enfant : Léa Martin",
        decision=decision,
        reason=reason,
        submitted_by=A,
        account_ids=[A, B],
    )


def document(event_type: str, **extra):
    return family_event(
        event_type,
        document_id=uuid.uuid4(),
        household_id=uuid.uuid4(),
        child_id=None,
        document_type="avis_imposition",
        account_ids=[A],
        **{"document_label": "Avis d'imposition", **extra},
    )


def answered(status: str = "answered"):
    return family_event(
        "family.RequestAnswered",
        request_id=uuid.uuid4(),
        household_id=uuid.uuid4(),
        child_id=None,
        topic="absence",
        topic_label="Absence",
        subject="Absence de Léa le 3 mars",
        status=status,
        account_ids=[A],
    )


def render(mail, name: str = "Léa Martin"):
    return RENDERER.render(mail.template, {**mail.context, "display_name": name}, TENANT)


def test_family_events_are_consumed():
    assert set(LETTERS) <= set(HANDLERS)
    assert "family.HouseholdLinked" in HANDLERS


def test_one_email_per_account_addressed_to_the_account():
    mails, notice = plan(decided("approved"), accounts=[A, B])
    assert [(m.recipient, m.account_id, m.template) for m in mails] == [
        (None, A, "change_approved"),
        (None, B, "change_approved"),
    ]
    assert notice is not None and notice.kind == "change_approved"
    assert "Modification d'un enfant : Léa Martin" in notice.body
    assert "account_ids" not in mails[0].context  # nothing the email does not need
    mails, _ = plan(decided("approved"), accounts=[])
    assert mails == []


def test_change_approved():
    (mail,), notice = plan(decided("approved"), accounts=[A])
    out = render(mail)
    assert out.subject == "Votre modification du dossier famille a été acceptée"
    assert "Le service Petite Enfance a accepté la modification que vous avez proposée" in out.text
    assert "  Modification d'un enfant : Léa Martin\n" in out.text
    assert "Votre dossier famille est à jour." in out.text
    assert "Modification d&#39;un enfant : Léa Martin" in out.html
    assert notice is not None and notice.title == "Modification acceptée"


def test_change_rejected_with_the_reason():
    reason = "Le justificatif de domicile est manquant.\nMerci de le joindre."
    (mail,), notice = plan(decided("rejected", reason), accounts=[A])
    out = render(mail)
    assert out.subject == "Votre modification du dossier famille a été refusée"
    assert "n'a pas accepté la modification que vous avez proposée" in out.text
    assert f"Motif du refus :\n{reason}\n" in out.text
    assert "Le justificatif de domicile est manquant." in out.html
    assert "Votre dossier famille reste inchangé." in out.text
    assert notice is not None and notice.kind == "change_rejected"
    assert notice.body.endswith(f"Motif : {reason}")


def test_change_rejected_without_a_reason():
    (mail,), notice = plan(decided("rejected", "  "), accounts=[A])
    out = render(mail)
    assert "Motif du refus" not in out.text
    assert "Aucun motif n'a été indiqué." in out.text and "Aucun motif" in out.html
    assert notice is not None and notice.body.endswith("Aucun motif n'a été indiqué.")


def test_reason_typed_by_staff_is_escaped_in_html():
    (mail,), _ = plan(decided("rejected", "<b>illisible</b> & flou"), accounts=[A])
    out = render(mail)
    assert "&lt;b&gt;illisible&lt;/b&gt; &amp; flou" in out.html
    assert "<b>illisible</b> & flou" in out.text


def test_document_validated_with_its_validity_end():
    (mail,), notice = plan(
        document("family.DocumentValidated", valid_until=date(2026, 8, 31)), accounts=[A]
    )
    assert mail.context["valid_until"] == "2026-08-31"
    out = render(mail)
    assert out.subject == "Votre document « Avis d'imposition » a été validé"
    assert "Il est valable jusqu'au 31 août 2026." in out.text
    assert "<strong>31 août 2026</strong>" in out.html
    assert notice is not None
    assert notice.body == (
        "Votre document « Avis d'imposition » a été validé ; il est valable jusqu'au 31 août 2026."
    )


def test_document_validated_without_validity_end():
    (mail,), notice = plan(document("family.DocumentValidated", valid_until=None), accounts=[A])
    out = render(mail)
    assert "Il n'a pas de date de fin de validité." in out.text
    assert notice is not None and "pas de date de fin de validité" in notice.body


def test_document_rejected_with_the_reason():
    (mail,), notice = plan(
        document("family.DocumentRejected", reason="Document illisible, merci de le scanner."),
        accounts=[A],
    )
    out = render(mail)
    assert out.subject == "Votre document « Avis d'imposition » a été refusé"
    assert "n'a pas pu valider votre document « Avis d'imposition »" in out.text
    assert "Motif du refus :\nDocument illisible, merci de le scanner.\n" in out.text
    assert "Déposer un nouveau document" in out.html
    assert notice is not None and "Motif : Document illisible" in notice.body


@pytest.mark.parametrize("status", ["answered", "closed"])
def test_request_answered_links_to_the_request(status):
    event = answered(status)
    (mail,), notice = plan(event, accounts=[A])
    link = f"https://portail.epagnymetztessy.fr/demandes/{event.payload['request_id']}"
    out = render(mail)
    assert out.subject == "Réponse à votre demande « Absence de Léa le 3 mars »"
    assert "a répondu à votre demande « Absence de Léa le 3 mars »" in out.text
    assert f"\n{link}\n" in out.text
    assert f'<a href="{link}"' in out.html
    assert ("La demande est désormais close." in out.text) is (status == "closed")
    assert notice is not None and notice.title == "Réponse à votre demande"
    assert ("close" in notice.body) is (status == "closed")


def test_helpers():
    assert french_date(date(2026, 9, 1)) == "1er septembre 2026"
    assert french_date("2026-08-31") == "31 août 2026"
    assert french_date(None) == ""
    assert portal_link(TENANT, "demandes", "/x/") == "https://portail.epagnymetztessy.fr/demandes/x"
    assert unique([str(A), B, A]) == [A, B]


def test_labels_travel_in_the_payload():
    (mail,), notice = plan(
        document(
            "family.DocumentValidated",
            valid_until=None,
            document_label="Attestation d'assurance scolaire",
        ),
        accounts=[A],
    )
    assert (
        render(mail).subject == "Votre document « Attestation d'assurance scolaire » a été validé"
    )
    assert notice is not None and "« Attestation d'assurance scolaire »" in notice.body
    event = family_event(
        "family.RequestAnswered",
        request_id=uuid.uuid4(),
        household_id=uuid.uuid4(),
        child_id=None,
        topic="justificatif_absence",
        topic_label="Justificatif d'absence",
        subject="Absence de Léa",
        status="answered",
        account_ids=[A],
    )
    (mail,), _ = plan(event, accounts=[A])
    assert "à votre demande « Absence de Léa » (Justificatif d'absence)." in render(mail).text


def test_household_creation_rejected():
    event = family_event(
        "family.HouseholdCreationRejected",
        change_id=uuid.uuid4(),
        account_id=A,
        reason="Votre famille a déjà un dossier.",
    )
    (mail,), notice = plan(event, accounts=[A])
    out = render(mail)
    assert out.subject == "Votre demande de création de dossier famille a été refusée"
    assert "Motif du refus :\nVotre famille a déjà un dossier.\n" in out.text
    assert "code abonné" in out.text
    assert notice is not None and notice.body.endswith("Motif : Votre famille a déjà un dossier.")
