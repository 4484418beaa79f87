"""Enrollment campaigns and renewals as the portal shows them (pure functions)."""

from __future__ import annotations

from datetime import date

from multidict import MultiDict

from web.domain import campaigns as domain

LEO = "11111111-1111-4111-8111-111111111111"
PERI = "aaaaaaaa-0000-4000-8000-000000000001"
CANTINE = "aaaaaaaa-0000-4000-8000-000000000002"


def campaign(**overrides: object) -> dict:
    return {
        "id": "cccccccc-0000-4000-8000-000000000001",
        "name": "Périscolaire 2027-2028",
        "school_year": "2027-2028",
        "opens_on": "2027-06-01",
        "closes_on": "2027-07-15",
        "state": "open",
        "activities": [],
        **overrides,
    }


def test_the_window_in_words_for_each_state():
    assert domain.window_text(campaign()) == "Ouvertes jusqu'au 15 juillet 2027"
    assert domain.window_text(campaign(state="upcoming")) == "Ouverture le 1er juin 2027"
    assert domain.window_text(campaign(state="closed")) == "Fermées depuis le 15 juillet 2027"
    assert domain.window_range(campaign()) == "du 1er juin 2027 au 15 juillet 2027"
    assert domain.state_label(campaign(state="archived")) == "Archivée"


def test_families_see_open_then_upcoming_never_closed_or_archived():
    items = [
        campaign(id="up", state="upcoming", opens_on="2027-09-01"),
        campaign(id="closed", state="closed"),
        campaign(id="open", state="open", opens_on="2027-06-01"),
        campaign(id="archived", state="archived"),
        campaign(id="up-early", state="upcoming", opens_on="2027-08-01"),
    ]
    assert [c["id"] for c in domain.for_families(items)] == ["open", "up-early", "up"]


def test_the_home_page_notice_says_the_year_and_the_last_day():
    assert (
        domain.renewal_notice(campaign())
        == "Renouvelez les inscriptions pour 2027-2028 avant le 15 juillet"
    )
    assert domain.renewal_notice(campaign(closes_on="2027-07-01")).endswith("avant le 1er juillet")


def activities() -> list[dict]:
    return [
        {"id": PERI, "name": "Périscolaire", "weekdays": [1, 2, 4, 5]},
        {"id": CANTINE, "name": "Cantine", "weekdays": [1, 2, 4, 5]},
    ]


def test_the_grouped_form_becomes_one_line_per_ticked_activity():
    form = MultiDict(
        [
            ("enfant", LEO),
            ("activites", CANTINE),
            ("activites", PERI),
            (f"mode-{PERI}", "regular"),
            (f"weekdays-{PERI}", "4"),
            (f"weekdays-{PERI}", "1"),
            (f"every_n_weeks-{PERI}", "2"),
            (f"mode-{CANTINE}", "occasional"),
        ]
    )
    read = domain.grouped_enrollment_body(form, [LEO], activities())
    assert not read.errors
    assert read.body == {
        "child_id": LEO,
        "lines": [
            {"activity_id": PERI, "mode": "regular", "weekdays": [1, 4], "every_n_weeks": 2},
            {"activity_id": CANTINE, "mode": "occasional"},
        ],
    }


def test_the_grouped_form_s_errors_by_field_named_by_activity():
    form = MultiDict([("enfant", "someone-else"), ("activites", PERI), (f"mode-{PERI}", "regular")])
    read = domain.grouped_enrollment_body(form, [LEO], activities())
    assert read.body == {}
    assert read.errors.fields == {
        "enfant": "Choisissez l'enfant à inscrire.",
        f"weekdays-{PERI}": "Périscolaire : Cochez au moins un jour de la semaine.",
    }
    read = domain.grouped_enrollment_body(MultiDict([("enfant", LEO)]), [LEO], activities())
    assert read.errors.fields == {"activites": "Cochez au moins une activité."}
    # an activity not of the campaign is not sent
    form = MultiDict([("enfant", LEO), ("activites", "x"), ("activites", CANTINE)])
    read = domain.grouped_enrollment_body(form, [LEO], activities())
    assert read.errors.fields == {
        f"mode-{CANTINE}": "Cantine : Choisissez comment vous réserverez."
    }
    form.add(f"mode-{CANTINE}", "occasional")
    read = domain.grouped_enrollment_body(form, [LEO], activities())
    assert [line["activity_id"] for line in read.body["lines"]] == [CANTINE]


def test_booking_s_refusal_goes_next_to_the_activity_it_names():
    lines = [{"activity_id": PERI}, {"activity_id": CANTINE}]
    problem = {
        "detail": "Certaines informations sont incorrectes : lines.1.activity_id, child_id.",
        "errors": [
            {"field": "lines.1.activity_id", "detail": "Cette activité est demandée deux fois."},
            {"field": "lines[0].weekdays", "detail": "Jours invalides."},
            {"field": "child_id", "detail": "Enfant inconnu."},
        ],
    }
    errors = domain.grouped_errors(problem, lines)
    assert errors.fields == {
        f"activite-{CANTINE}": "Cette activité est demandée deux fois.",
        f"weekdays-{PERI}": "Jours invalides.",
        "enfant": "Enfant inconnu.",
    }
    assert errors.general is None
    closed = domain.grouped_errors({"detail": "Les inscriptions sont fermées."}, lines)
    assert closed.fields == {} and closed.general == "Les inscriptions sont fermées."


def test_outcomes_name_each_activity_and_the_missing_documents():
    items = [
        {"activity_id": PERI, "outcome": "approved", "problem": None},
        {
            "activity_id": CANTINE,
            "outcome": "refused",
            "problem": {"code": "missing-documents", "detail": "x", "missing_documents": ["pai"]},
        },
    ]
    found = domain.outcomes(items, activities(), {"pai": "Projet d'accueil individualisé"})
    assert [(o.activity["name"], o.label) for o in found] == [
        ("Périscolaire", "Inscription acceptée"),
        ("Cantine", "Inscription refusée"),
    ]
    assert found[1].missing_documents == ["pai"]
    assert "Projet d'accueil individualisé" in (found[1].detail or "")


def test_documents_expiring_before_the_new_period_are_to_renew():
    documents = [
        # valid today, but not on 1 September 2027: to renew
        {"document_type": "assurance", "member_id": LEO, "status": "validated",
         "valid_until": "2027-08-31", "uploaded_at": "2026-09-01T08:00:00+00:00"},
        # valid through the new year
        {"document_type": "vaccins", "member_id": LEO, "status": "validated",
         "valid_until": "2028-09-01", "uploaded_at": "2026-09-01T08:00:00+00:00"},
        # a refused one, then a newer one pending: the pending one is shown
        {"document_type": "domicile", "member_id": None, "status": "rejected",
         "valid_until": None, "uploaded_at": "2026-09-01T08:00:00+00:00"},
        {"document_type": "domicile", "member_id": None, "status": "pending",
         "valid_until": None, "uploaded_at": "2026-09-02T08:00:00+00:00"},
    ]  # fmt: skip
    found = domain.documents_to_check(
        documents, {LEO: "Léo Durand"}, date(2027, 6, 10), date(2027, 9, 1)
    )
    by_type = {d.document["document_type"]: d for d in found}
    assert by_type["assurance"].to_renew and by_type["assurance"].about == "Léo Durand"
    assert not by_type["vaccins"].to_renew
    assert by_type["domicile"].document["status"] == "pending"
    assert by_type["domicile"].about == "Tout le foyer" and not by_type["domicile"].to_renew
    assert found[0].document["document_type"] == "assurance"  # to renew first
    assert domain.new_period_start(
        campaign(activities=[{"period_from": "2027-09-02"}, {"period_from": "2027-09-01"}])
    ) == date(2027, 9, 1)


def test_renewals_grouped_by_child_with_next_year_s_grade():
    household = {"children": [{"id": LEO, "first_name": "Léo"}, {"id": "z", "first_name": "Zoé"}]}
    renewals = [
        {"child_id": LEO, "activity_name": "Étude", "next_grade": "CM1", "status": "proposed"},
        {"child_id": LEO, "activity_name": "Cantine", "next_grade": "CM1", "status": "confirmed"},
    ]
    found = domain.renewals_by_child(household, renewals)
    assert [(c.child["first_name"], c.next_grade, len(c.renewals)) for c in found] == [
        ("Léo", "CM1", 2),
        ("Zoé", None, 0),
    ]
    assert [r["activity_name"] for r in found[0].renewals] == ["Cantine", "Étude"]
    assert domain.pending_renewals(renewals) == 1


def test_the_campaign_form_read_and_checked():
    form = MultiDict(
        [
            ("name", " Périscolaire 2027-2028 "),
            ("school_year", "2027-2028"),
            ("opens_on", "01/06/2027"),
            ("closes_on", "2027-07-15"),
            ("description", ""),
            ("activity_ids", PERI),
            ("activity_ids", CANTINE),
            ("previous_campaign_id", "cccccccc-0000-4000-8000-000000000009"),
        ]
    )
    values, read = domain.read_campaign_form(form)
    assert read.body == {
        "name": "Périscolaire 2027-2028",
        "school_year": "2027-2028",
        "opens_on": "2027-06-01",
        "closes_on": "2027-07-15",
        "description": None,
        "activity_ids": [PERI, CANTINE],
        "previous_campaign_id": "cccccccc-0000-4000-8000-000000000009",
    }
    bad = MultiDict(
        [("name", ""), ("school_year", "2027-2029"), ("opens_on", "15/07/2027"),
         ("closes_on", "01/06/2027")]
    )  # fmt: skip
    values, read = domain.read_campaign_form(bad)
    assert set(read.errors.fields) == {"name", "school_year", "closes_on"}
    assert values.get("opens_on") == "15/07/2027"  # kept as typed
    _, read = domain.read_campaign_form(MultiDict([("opens_on", "demain")]))
    assert "opens_on" in read.errors.fields


def test_an_edit_sends_only_what_changed():
    current = campaign(description=None, activities=[{"id": PERI}])
    body = {
        "name": "Périscolaire 2027-2028",
        "opens_on": "2027-06-01",
        "closes_on": "2027-07-20",
        "description": None,
        "activity_ids": [PERI, CANTINE],
    }
    assert domain.campaign_changes(body, current) == {
        "closes_on": "2027-07-20",
        "activity_ids": [PERI, CANTINE],
    }
    same = {**body, "closes_on": "2027-07-15", "activity_ids": [PERI]}
    assert domain.campaign_changes(same, current) == {}
    form = domain.campaign_form_of(current)
    assert form.get("opens_on") == "01/06/2027" and form.activity_ids == [PERI]


def test_the_mapping_is_preselected_by_name_without_the_year():
    assert domain.base_name("Périscolaire 2026-2027 (matin)") == "périscolaire (matin)"
    assert domain.base_name("Cantine – 2026") == "cantine"
    previous = [
        {"id": "p1", "name": "Périscolaire 2026-2027", "type": "PERI", "site": "École A"},
        {"id": "p2", "name": "Cantine 2026", "type": "CANTINE", "site": "École A"},
        {"id": "p3", "name": "Séjour ski 2027", "type": "VACANCES", "site": "Alpes"},
    ]
    new = [
        {"id": "n0", "name": "Cantine 2027", "type": "CANTINE", "site": "École B"},
        {"id": "n1", "name": "Périscolaire 2027-2028", "type": "PERI", "site": "École A"},
        {"id": "n2", "name": "Cantine 2027", "type": "CANTINE", "site": "École A"},
    ]
    assert domain.default_mapping(previous, new) == {"p1": "n1", "p2": "n2", "p3": None}
    form = MultiDict([("vers-p1", "n1"), ("vers-p2", ""), ("vers-p3", "elsewhere")])
    assert domain.read_mapping(form, previous, {"n0", "n1", "n2"}) == [
        {"from_activity_id": "p1", "to_activity_id": "n1"}
    ]


def test_each_child_s_chance_as_booking_says_it():
    children = [
        {"id": LEO, "first_name": "Léo"},
        {"id": "z", "first_name": "Zoé"},
        {"id": "new", "first_name": "Noé"},
    ]
    catalogues = [
        [{"id": PERI, "eligible": True}],
        [{"id": PERI, "eligible": False, "ineligibility_reason": "Trop jeune."}],
        None,  # booking does not know this child yet: nothing said
    ]
    found = domain.children_chances({"id": PERI}, children, catalogues, [])
    assert [(c.first_name, c.why_not) for c in found] == [("Léo", None), ("Zoé", "Trop jeune.")]
    enrolled = [{"child_id": LEO, "activity_id": PERI, "status": "pending", "requested_at": "x"}]
    found = domain.children_chances({"id": PERI}, children[:1], catalogues[:1], enrolled)
    assert found[0].why_not and "déjà inscrit" in found[0].why_not
