"""Enrollments and absences as the family reads them (pure functions)."""

from __future__ import annotations

from datetime import date

from multidict import MultiDict

from web.domain import enrollments as domain

CHILD = "11111111-1111-4111-8111-111111111111"
OTHER_CHILD = "22222222-2222-4222-8222-222222222222"


def activity(**overrides: object) -> dict:
    return {
        "id": "aaaaaaaa-0000-4000-8000-000000000001",
        "name": "Centre de loisirs",
        "type": "VACANCES",
        "site": "Centre du Lac",
        "period_from": "2026-10-19",
        "period_to": "2026-10-23",
        "weekdays": [1, 2, 3, 4, 5],
        "min_age": None,
        "max_age": None,
        "grades": None,
        "eligible": True,
        "ineligibility_reason": None,
        **overrides,
    }


def test_eligibility_is_said_plainly():
    assert domain.eligibility_text(activity()) == "Ouverte à tous les enfants"
    assert domain.eligibility_text(activity(min_age=6, max_age=11)) == "De 6 à 11 ans"
    assert domain.eligibility_text(activity(min_age=3)) == "À partir de 3 ans"
    assert domain.eligibility_text(activity(max_age=5)) == "Jusqu'à 5 ans"
    both = activity(min_age=6, max_age=11, grades=["CE1", "CE2"])
    assert domain.eligibility_text(both) == "De 6 à 11 ans · classes : CE1, CE2"
    assert domain.eligibility_text(activity(grades=["CP"])) == "Classes : CP"


def test_a_period_in_french():
    assert domain.period_text(activity()) == "Du lundi 19 octobre 2026 au vendredi 23 octobre 2026"
    one = activity(period_from="2026-10-01", period_to="2026-10-01")
    assert domain.period_text(one) == "Le jeudi 1er octobre 2026"


def test_offers_keep_the_ineligible_explained_and_drop_the_ended():
    young = activity(
        id="aaaaaaaa-0000-4000-8000-000000000002",
        name="Ados",
        eligible=False,
        ineligibility_reason="Votre enfant est trop jeune pour cette activité.",
    )
    ended = activity(id="aaaaaaaa-0000-4000-8000-000000000003", period_to="2026-09-30")
    found = domain.offers([young, activity(), ended], [], date(2026, 10, 1))
    assert [o.activity["name"] for o in found] == ["Ados", "Centre de loisirs"]
    ados, centre = found
    assert not ados.may_enroll and "trop jeune" in (ados.why_not or "")
    assert centre.may_enroll and centre.why_not is None
    assert centre.type_label == "Vacances"


def test_an_enrollment_pending_or_accepted_is_not_offered_again_a_refused_one_may_be():
    pending = {"activity_id": activity()["id"], "status": "pending", "requested_at": "2026-10-01"}
    assert domain.offers([activity()], [pending], date(2026, 10, 1)) == []
    one = domain.offer(activity(), [pending])
    assert not one.may_enroll and "déjà inscrit" in (one.why_not or "")
    assert one.enrollment == pending
    refused = {**pending, "status": "rejected"}
    (again,) = domain.offers([activity()], [refused], date(2026, 10, 1))
    assert again.may_enroll and again.enrollment == refused
    later = {**pending, "requested_at": "2026-10-02"}
    assert domain.offer(activity(), [later, refused]).enrollment == later
    assert domain.offers([activity()], [later, refused], date(2026, 10, 1)) == []


def test_required_documents_take_the_best_state_of_the_household_s_or_the_child_s():
    documents = [
        {"document_type": "certificat_medical", "member_id": OTHER_CHILD, "status": "validated"},
        {"document_type": "certificat_medical", "member_id": CHILD, "status": "pending"},
        {
            "document_type": "justificatif_domicile",
            "member_id": None,
            "status": "validated",
            "valid_until": "2026-08-31",
        },
        {"document_type": "attestation_caf", "member_id": None, "status": "rejected"},
        {
            "document_type": "livret_famille",
            "member_id": None,
            "status": "validated",
            "valid_until": "2027-08-31",
        },
        {"document_type": "livret_famille", "member_id": None, "status": "rejected"},
    ]
    labels = {"certificat_medical": "Certificat médical", "livret_famille": "Livret de famille"}
    codes = [
        "certificat_medical",
        "justificatif_domicile",
        "attestation_caf",
        "livret_famille",
        "avis_imposition",
    ]
    found = domain.required_documents(codes, documents, labels, CHILD, date(2026, 10, 19))
    assert [(d.label, d.state) for d in found] == [
        ("Certificat médical", "pending"),
        ("justificatif_domicile", "expired"),
        ("attestation_caf", "rejected"),
        ("Livret de famille", "valid"),
        ("avis_imposition", "missing"),
    ]
    assert [d.ready for d in found] == [False, False, False, True, False]
    assert found[0].text == "Déposé, en attente de validation par la mairie"


def test_the_enrollment_form_occasional_or_a_regular_rhythm():
    read = domain.enrollment_body(MultiDict(mode="occasional"), CHILD, activity())
    assert read.body == {
        "child_id": CHILD,
        "activity_id": activity()["id"],
        "mode": "occasional",
    }
    assert not read.errors
    form = MultiDict([("mode", "regular"), ("weekdays", "4"), ("weekdays", "1")])
    form.add("weekdays", "1")
    form.add("every_n_weeks", "2")
    read = domain.enrollment_body(form, CHILD, activity())
    assert read.body["weekdays"] == [1, 4] and read.body["every_n_weeks"] == 2


def test_the_enrollment_form_s_errors_by_field():
    assert domain.enrollment_body(MultiDict(), CHILD, activity()).errors.fields == {
        "mode": "Choisissez comment vous réserverez."
    }
    # Saturday is not an opening day of this activity; a week in 5 is not offered.
    form = MultiDict([("mode", "regular"), ("weekdays", "6"), ("every_n_weeks", "5")])
    errors = domain.enrollment_body(form, CHILD, activity()).errors
    assert set(errors.fields) == {"weekdays", "every_n_weeks"}


def test_a_rhythm_in_words():
    assert domain.rhythm_text({"mode": "occasional"}) == "Je réserverai ponctuellement"
    regular = {"mode": "regular", "weekdays": [4, 1], "every_n_weeks": 1}
    assert domain.rhythm_text(regular) == "Chaque semaine : lundi, jeudi"
    assert domain.rhythm_text({**regular, "every_n_weeks": 2}) == "Une semaine sur 2 : lundi, jeudi"
    assert domain.rhythm_text({"mode": "regular", "weekdays": None}) == "Tous les jours d'ouverture"


def test_booked_days_are_those_without_a_live_absence():
    calendar = {
        "activities": [
            {
                "name": "Cantine",
                "site": "École du centre",
                "days": [
                    {"date": "2026-10-06", "state": "booked_locked", "booking_id": "b1"},
                    {"date": "2026-10-05", "state": "booked_cancellable", "booking_id": "b2"},
                    {"date": "2026-10-07", "state": "bookable", "booking_id": None},
                    {"date": "2026-10-08", "state": "cancelled", "booking_id": "b3"},
                    {"date": "2026-10-09", "state": "booked_locked", "booking_id": "b4"},
                    {"date": "2026-10-12", "state": "booked_locked", "booking_id": "b5"},
                ],
            }
        ]
    }
    absences = [
        {"booking_id": "b4", "status": "pending"},
        {"booking_id": "b5", "status": "refused"},  # refused: may be justified again
    ]
    days = domain.booked_days(calendar, absences)
    assert [d.booking_id for d in days] == ["b2", "b1", "b5"]
    assert days[0].label() == "lundi 5 octobre 2026 – Cantine (École du centre)"


def test_months():
    today = date(2026, 12, 15)
    assert domain.month_of("2026-10", today) == date(2026, 10, 1)
    assert domain.month_of("n'importe quoi", today) == date(2026, 12, 1)
    assert domain.month_of(None, today) == date(2026, 12, 1)
    assert domain.month_of("2026-13", today) == date(2026, 12, 1)
    assert domain.shift_month(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert domain.shift_month(date(2026, 1, 1), -1) == date(2025, 12, 1)
    assert domain.month_label(date(2026, 8, 1)) == "août 2026"


def test_the_absence_form():
    form = MultiDict(booking_id="b1", reason="illness", note="  Fièvre  ", document_id="")
    read = domain.absence_body(form, {"b1"})
    assert read.body == {
        "booking_id": "b1",
        "reason": "illness",
        "note": "Fièvre",
        "document_id": None,
    }
    bad = MultiDict(booking_id="b9", reason="vacances", note="x" * 2001, document_id="pas-un-id")
    errors = domain.absence_body(bad, {"b1"}).errors
    assert set(errors.fields) == {"booking_id", "reason", "note", "document_id"}


def test_missing_documents_are_named_by_their_label():
    labels = {"certificat_medical": "Certificat médical"}
    one = domain.missing_documents_message(["certificat_medical"], labels)
    assert one.startswith(
        "Document manquant ou expiré pour cette inscription : Certificat médical."
    )
    two = domain.missing_documents_message(["certificat_medical", "autre"], labels)
    assert (
        "Documents manquants ou expirés pour cette inscription : Certificat médical, autre." in two
    )
