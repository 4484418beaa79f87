"""Enrollments and absences over HTTP (the services stood in): the list per child with each
decision and the activities open to it (the ineligible explained), the form with the required
documents' status, the API's errors by field or for the form, never a 500; the absences,
declaring one for a booked day; CSRF on both forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import FormData, web

from ..conftest import Services, csrf_of, log_in, problem

LEO = "11111111-1111-4111-8111-111111111111"
CENTRE = "aaaaaaaa-0000-4000-8000-000000000001"
ADOS = "aaaaaaaa-0000-4000-8000-000000000002"
PISCINE = "aaaaaaaa-0000-4000-8000-000000000003"
ENROLLMENT = "eeeeeeee-0000-4000-8000-000000000001"
BOOKING = "bbbbbbbb-0000-4000-8000-000000000001"
DOCUMENT = "dddddddd-0000-4000-8000-000000000001"


def activity(id: str, name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "id": id,
        "name": name,
        "type": "VACANCES",
        "site": "Centre du Lac",
        "period_from": "2099-10-19",
        "period_to": "2099-10-23",
        "weekdays": [1, 2, 3, 4, 5],
        "min_age": None,
        "max_age": None,
        "grades": None,
        "requires_approval": True,
        "booking_mode": "free",
        "required_documents": [],
        "eligible": True,
        "ineligibility_reason": None,
        **overrides,
    }


@dataclass
class Booking:
    """What the stand-in of booking and family answers; what it was sent."""

    enrollments: list[dict[str, Any]] = field(default_factory=list)
    absences: list[dict[str, Any]] = field(default_factory=list)
    enroll_answer: tuple[int, dict[str, Any]] | None = None
    absence_answer: tuple[int, dict[str, Any]] | None = None
    child_unknown: bool = False  # booking has not heard of the household's link yet
    sent: list[tuple[str, Any]] = field(default_factory=list)


@pytest.fixture
def booking() -> Booking:
    return Booking(
        enrollments=[
            {
                "id": ENROLLMENT,
                "activity_id": PISCINE,
                "child_id": LEO,
                "mode": "occasional",
                "weekdays": None,
                "every_n_weeks": 1,
                "status": "rejected",
                "reason": "Plus de place pour cette session.",
                "requested_at": "2026-09-01T08:00:00+00:00",
                "decided_at": "2026-09-03T08:00:00+00:00",
            }
        ]
    )


@pytest.fixture
def stand_in_routes(booking: Booking) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def authorised(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "")
            return header.removeprefix("Bearer ") in services.valid_access

        async def household(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            child = {
                "id": LEO,
                "first_name": "Léo",
                "last_name": "Durand",
                "birth_date": "2017-05-03",
                "grade": "CE2",
            }
            return web.json_response({"id": "h1", "children": [child], "guardians": []})

        async def activities(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            if booking.child_unknown:
                return problem(404, "Enfant introuvable.")
            return web.json_response(
                {
                    "items": [
                        activity(
                            CENTRE,
                            "Centre de loisirs",
                            required_documents=["certificat_medical", "justificatif_domicile"],
                        ),
                        activity(
                            ADOS,
                            "Séjour ados",
                            min_age=12,
                            max_age=17,
                            eligible=False,
                            ineligibility_reason="Votre enfant est trop jeune pour cette activité"
                            " (âge minimum : 12 ans).",
                        ),
                        activity(PISCINE, "Piscine", type="SPORT", site="Piscine municipale"),
                    ]
                }
            )

        async def enrollments(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response({"items": booking.enrollments})

        async def enroll(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append(("enroll", body))
            if booking.enroll_answer is not None:
                status, answer = booking.enroll_answer
                return problem(status, **answer)
            row = {
                **body,
                "id": "eeeeeeee-0000-4000-8000-000000000002",
                "weekdays": body.get("weekdays"),
                "every_n_weeks": body.get("every_n_weeks", 1),
                "status": "pending",
                "reason": None,
                "requested_at": "2026-10-01T08:00:00+00:00",
                "decided_at": None,
            }
            booking.enrollments.append(row)
            return web.json_response(row, status=201)

        async def documents(request: web.Request) -> web.Response:
            return web.json_response(
                {
                    "items": [
                        {
                            "id": DOCUMENT,
                            "document_type": "certificat_medical",
                            "document_label": "Certificat médical",
                            "filename": "certificat.pdf",
                            "member_id": LEO,
                            "status": "pending",
                            "valid_until": None,
                        }
                    ],
                    "total": 1,
                    "page": 1,
                    "per_page": 100,
                }
            )

        async def document_types(request: web.Request) -> web.Response:
            return web.json_response(
                {
                    "items": [
                        {"code": "certificat_medical", "label": "Certificat médical"},
                        {"code": "justificatif_domicile", "label": "Justificatif de domicile"},
                    ]
                }
            )

        async def calendar(request: web.Request) -> web.Response:
            days = [
                {"date": "2026-10-05", "state": "booked_locked", "booking_id": BOOKING},
                {"date": "2026-10-06", "state": "bookable", "booking_id": None},
            ]
            return web.json_response(
                {
                    "child_id": LEO,
                    "month": request.query["month"],
                    "activities": [
                        {
                            "activity_id": PISCINE,
                            "name": "Cantine",
                            "type": "CANTINE",
                            "site": "École du centre",
                            "days": days,
                        }
                    ],
                }
            )

        async def absences(request: web.Request) -> web.Response:
            return web.json_response({"items": booking.absences})

        async def declare(request: web.Request) -> web.Response:
            body = await request.json()
            booking.sent.append((request.match_info["id"], body))
            if booking.absence_answer is not None:
                status, answer = booking.absence_answer
                return problem(status, **answer)
            return web.json_response({"id": "x", "status": "pending"}, status=201)

        app.router.add_get(f"{t}/me/household", household)
        app.router.add_get(f"{t}/activities", activities)
        app.router.add_get(f"{t}/enrollments", enrollments)
        app.router.add_post(f"{t}/enrollments", enroll)

        async def upload(request: web.Request) -> web.Response:
            form = await request.post()
            upload = form["file"]
            assert isinstance(upload, web.FileField)
            content = upload.file.read()
            booking.sent.append(("upload", (form["document_type"], form["member_id"], content)))
            if not content.startswith(b"%PDF"):
                return problem(
                    415,
                    "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG.",
                    errors=[{"field": "file", "detail": "Seuls les PDF, JPEG et PNG."}],
                )
            return web.json_response({"id": DOCUMENT, "status": "pending"}, status=201)

        app.router.add_get(f"{t}/me/household/documents", documents)
        app.router.add_post(f"{t}/me/household/documents", upload)
        app.router.add_get(f"{t}/document-types", document_types)
        app.router.add_get(f"{t}/children/{{id}}/calendar", calendar)
        app.router.add_get(f"{t}/absences", absences)
        app.router.add_post(f"{t}/bookings/{{id}}/absence", declare)

    return add


async def test_the_list_shows_each_decision_and_the_activities_open_or_explained(portal):
    await log_in(portal)
    r = await portal.get("/inscriptions")
    html = await r.text()
    assert r.status == 200
    assert "<title>Mes inscriptions – Portail Famille – Ville de Démo</title>" in html
    assert html.count("<h1>") == 1 and "Léo Durand</h2>" in html
    # The refused enrollment, with its reason; a refused one may be asked again.
    assert "Refusée" in html and "Plus de place pour cette session." in html
    assert f"enfant={LEO}&amp;activite={PISCINE}" in html
    # The ineligible activity stays, explained.
    assert "Séjour ados" in html and "De 12 à 17 ans" in html
    assert "Inscription impossible :</strong> Votre enfant est trop jeune" in html
    assert f"activite={ADOS}" not in html
    assert "Du lundi 19 octobre 2099 au vendredi 23 octobre 2099" in html


async def test_the_form_lists_the_required_documents_with_their_status(portal):
    await log_in(portal)
    r = await portal.get(f"/inscriptions/nouvelle?enfant={LEO}&activite={CENTRE}")
    html = await r.text()
    assert r.status == 200
    assert "Inscription de Léo Durand à « Centre de loisirs » – Portail" in html
    assert "Certificat médical</strong> : Déposé, en attente de validation" in html
    assert "Justificatif de domicile</strong> : Manquant" in html
    assert 'href="/documents"' in html
    assert "Je réserverai ponctuellement" in html and 'name="csrf_token"' in html
    # Not eligible: said, no form.
    r = await portal.get(f"/inscriptions/nouvelle?enfant={LEO}&activite={ADOS}")
    html = await r.text()
    assert "trop jeune" in html and "Confirmer l'inscription" not in html
    # Unknown child or activity, or not an id: the French 404 page, never a 500.
    for query in (
        f"enfant={ADOS}&activite={CENTRE}",
        f"enfant={LEO}&activite=aaaaaaaa-0000-4000-8000-00000000000f",
        "enfant=x&activite=y",
    ):
        r = await portal.get(f"/inscriptions/nouvelle?{query}")
        assert r.status == 404 and "Page introuvable" in await r.text()


async def test_enrolling_sends_the_rhythm_and_the_list_shows_it_pending(portal, booking):
    await log_in(portal)
    r = await portal.get(f"/inscriptions/nouvelle?enfant={LEO}&activite={PISCINE}")
    form = [
        ("csrf_token", csrf_of(await r.text())),
        ("enfant", LEO),
        ("activite", PISCINE),
        ("mode", "regular"),
        ("weekdays", "3"),
        ("weekdays", "1"),
        ("every_n_weeks", "2"),
    ]
    r = await portal.post("/inscriptions/nouvelle", data=form, allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"] == f"/inscriptions?envoyee=pending#enfant-{LEO}"
    assert booking.sent == [
        (
            "enroll",
            {
                "child_id": LEO,
                "activity_id": PISCINE,
                "mode": "regular",
                "weekdays": [1, 3],
                "every_n_weeks": 2,
            },
        )
    ]
    html = await (await portal.get("/inscriptions?envoyee=pending")).text()
    assert "en attente de validation par la mairie" in html
    assert "En attente de validation" in html and "Une semaine sur 2 : lundi, mercredi" in html


async def test_the_form_s_errors_by_field_and_the_api_s_refusals_plainly(portal, booking):
    await log_in(portal)
    r = await portal.get(f"/inscriptions/nouvelle?enfant={LEO}&activite={CENTRE}")
    token = csrf_of(await r.text())
    base = {"csrf_token": token, "enfant": LEO, "activite": CENTRE}
    # A rhythm without a day: next to the fieldset, before asking booking.
    r = await portal.post("/inscriptions/nouvelle", data={**base, "mode": "regular"})
    html = await r.text()
    assert r.status == 422 and booking.sent == []
    assert '<p class="field-error" id="weekdays-erreur">Cochez au moins un jour' in html
    assert 'aria-describedby="weekdays-erreur"' in html and 'role="alert"' in html
    # booking's 422 naming a field: by it.
    booking.enroll_answer = (
        422,
        {
            "detail": "Certaines informations sont incorrectes : weekdays.",
            "errors": [{"field": "weekdays", "detail": "Indiquez les jours de la semaine."}],
        },
    )
    r = await portal.post(
        "/inscriptions/nouvelle", data={**base, "mode": "regular", "weekdays": "2"}
    )
    html = await r.text()
    assert r.status == 422
    assert 'id="weekdays-erreur">Indiquez les jours de la semaine.</p>' in html
    assert 'id="jour-2" name="weekdays" value="2" checked' in html  # the choice kept
    # Missing documents (422 without a field of the form), already enrolled (409): plainly.
    for status, detail in (
        (422, "Document manquant ou expiré pour cette inscription : Certificat médical."),
        (409, "Votre enfant est déjà inscrit (ou en attente de validation) à cette activité."),
    ):
        booking.enroll_answer = (status, {"detail": detail})
        r = await portal.post("/inscriptions/nouvelle", data={**base, "mode": "occasional"})
        html = await r.text()
        assert r.status == status
        assert "L'inscription n'a pas abouti" in html and detail in html
    # booking names a document type by its code until it heard of one: said by its label.
    booking.enroll_answer = (
        422,
        {
            "detail": "Document manquant : certificat_medical.",
            "missing_documents": ["certificat_medical"],
        },
    )
    r = await portal.post("/inscriptions/nouvelle", data={**base, "mode": "occasional"})
    html = await r.text()
    assert "pour cette inscription : Certificat médical. Déposez-le" in html
    assert "certificat_medical" not in html.split("</h1>")[1].split("</div>")[0]


async def test_the_forms_need_the_session_s_csrf_token(portal, booking):
    await log_in(portal)
    for path, data in (
        ("/inscriptions/nouvelle", {"enfant": LEO, "activite": CENTRE, "mode": "occasional"}),
        ("/absences/nouvelle", {"enfant": LEO, "booking_id": BOOKING, "reason": "illness"}),
    ):
        r = await portal.post(path, data=data)
        assert r.status == 403 and "Action refusée" in await r.text()
    assert booking.sent == []


async def test_absences_list_and_declaring_one_for_a_booked_day(portal, booking):
    await log_in(portal)
    booking.absences = [
        {
            "id": "x1",
            "booking_id": "bbbbbbbb-0000-4000-8000-000000000009",
            "activity_id": PISCINE,
            "child_id": LEO,
            "date": "2026-09-14",
            "reason": "family",
            "note": None,
            "document_id": DOCUMENT,
            "status": "refused",
            "requested_at": "2026-09-14T08:00:00+00:00",
            "decided_at": "2026-09-15T08:00:00+00:00",
            "decision_reason": "Déclarée trop tard.",
        }
    ]
    html = await (await portal.get("/absences")).text()
    assert "<title>Mes absences – Portail Famille" in html
    assert "Léo, le lundi 14 septembre 2026" in html and "Non justifiée" in html
    assert "Déclarée trop tard." in html and "Raison familiale" in html
    assert "Piscine (Piscine municipale)" in html
    assert f'<a href="/documents/{DOCUMENT}/fichier">Voir le justificatif' in html

    r = await portal.get("/absences/nouvelle?mois=2026-10")
    html = await r.text()
    assert "Jours réservés de Léo en octobre 2026" in html
    assert f'<option value="{BOOKING}">lundi 5 octobre 2026 – Cantine (École du centre)' in html
    assert "mardi 6 octobre" not in html  # not booked
    assert f'<option value="{DOCUMENT}">Certificat médical – certificat.pdf' in html
    token = csrf_of(html)
    base = {"csrf_token": token, "enfant": LEO, "mois": "2026-10"}
    # Nothing chosen: by field, booking not asked.
    r = await portal.post("/absences/nouvelle", data=base)
    html = await r.text()
    assert r.status == 422 and booking.sent == []
    assert "<title>Erreur – Déclarer une absence – Portail" in html
    assert 'id="booking_id-erreur">Choisissez le jour' in html
    assert 'id="reason-erreur">Choisissez le motif' in html
    # booking refuses (already justified): said for the form, the choices kept.
    filled = {**base, "booking_id": BOOKING, "reason": "illness", "document_id": DOCUMENT}
    booking.absence_answer = (409, {"detail": "Une justification est déjà en cours."})
    r = await portal.post("/absences/nouvelle", data={**filled, "note": "Fièvre"})
    html = await r.text()
    assert r.status == 409 and "Une justification est déjà en cours." in html
    assert f'<option value="{BOOKING}" selected>' in html and ">Fièvre</textarea>" in html
    booking.absence_answer = None
    r = await portal.post("/absences/nouvelle", data=filled, allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/absences?declaree=1")
    assert booking.sent[-1] == (
        BOOKING,
        {"reason": "illness", "note": None, "document_id": DOCUMENT},
    )
    html = await (await portal.get("/absences?declaree=1")).text()
    assert "Votre déclaration d'absence est envoyée à la mairie" in html


async def test_a_missing_document_is_deposited_from_the_form(portal, booking):
    await log_in(portal)
    form_url = f"/inscriptions/nouvelle?enfant={LEO}&activite={CENTRE}"
    html = await (await portal.get(form_url)).text()
    # Only the missing one may be deposited here (the pending one awaits the town).
    assert 'id="fichier-justificatif_domicile"' in html
    assert 'id="fichier-certificat_medical"' not in html
    assert 'enctype="multipart/form-data"' in html
    base = {"csrf_token": csrf_of(html), "enfant": LEO, "activite": CENTRE}

    def with_file(content: bytes, code: str = "justificatif_domicile") -> FormData:
        data = FormData({**base, "document_type": code})
        data.add_field("file", content, filename="facture.pdf", content_type="application/pdf")
        return data

    # No file chosen: said next to the field, nothing sent.
    r = await portal.post(
        "/inscriptions/document", data={**base, "document_type": "justificatif_domicile"}
    )
    html = await r.text()
    assert r.status == 422 and booking.sent == []
    assert 'id="fichier-justificatif_domicile-erreur" role="alert">Choisissez le fichier' in html
    # family's 415 naming the file: next to it.
    r = await portal.post("/inscriptions/document", data=with_file(b"GIF89a"))
    html = await r.text()
    assert r.status == 415 and "Seuls les PDF, JPEG et PNG." in html
    assert 'aria-invalid="true"' in html
    # A type the activity does not require: not from this form.
    r = await portal.post("/inscriptions/document", data=with_file(b"%PDF-1.4", "autre"))
    assert r.status == 404
    r = await portal.post(
        "/inscriptions/document", data=with_file(b"%PDF-1.4"), allow_redirects=False
    )
    assert r.status == 303
    assert r.headers["Location"] == f"{form_url}&depose=justificatif_domicile"
    assert booking.sent[-1] == ("upload", ("justificatif_domicile", LEO, b"%PDF-1.4"))
    html = await (await portal.get(r.headers["Location"])).text()
    assert "Document envoyé : la mairie doit le valider" in html


async def test_a_child_booking_has_not_heard_of_yet_is_said_so_not_shown_empty(portal, booking):
    await log_in(portal)
    booking.child_unknown = True
    r = await portal.get("/inscriptions")
    html = await r.text()
    assert r.status == 200
    assert "Les activités de Léo ne peuvent pas être affichées pour le moment" in html
    assert "Aucune activité n'est ouverte" not in html
    r = await portal.get(f"/inscriptions/nouvelle?enfant={LEO}&activite={CENTRE}")
    assert r.status == 404
