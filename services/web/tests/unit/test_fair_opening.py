"""The fair opening as families see it (pure functions): levels, the request read from the
form, booking's errors put back by field, the draw checked against its seed, the offers
sorted, the one-click link's answers."""

from __future__ import annotations

import hashlib

from multidict import MultiDict

from web.domain import fair_opening as domain

LEO = "11111111-1111-4111-8111-111111111111"
ZOE = "22222222-2222-4222-8222-222222222222"
RULES = [
    {"code": "resident", "label": "Résident de la commune"},
    {"code": "sibling_enrolled", "label": "Frère ou sœur déjà inscrit"},
]
WINDOW = {
    "days": ["2027-07-06", "2027-07-07", "2027-07-08"],
    "priority_rules": RULES,
    "opens_at": "2027-05-03T06:00:00+00:00",
    "closes_at": "2027-05-17T21:59:00+00:00",
    "status": "open",
}


def test_lists_come_bare_or_as_items():
    assert domain.items([{"id": 1}, "x"]) == [{"id": 1}]
    assert domain.items({"items": [{"id": 2}]}) == [{"id": 2}]
    assert domain.items(None) == [] and domain.items({"detail": "x"}) == []


def test_levels_end_with_the_other_families_and_computed_rules_are_not_declared():
    assert [(lv.number, lv.label) for lv in domain.levels(RULES)] == [
        (1, "Résident de la commune"),
        (2, "Frère ou sœur déjà inscrit"),
        (3, "Autres familles"),
    ]
    assert [(lv.number, lv.label) for lv in domain.levels([])] == [(1, "Autres familles")]
    assert domain.declarable(RULES) == [{"code": "resident", "label": "Résident de la commune"}]


def test_the_window_in_words_in_paris_time():
    assert domain.requests_text(WINDOW) == "Demandes ouvertes jusqu'au lundi 17 mai 2027 à 23 h 59"
    scheduled = {**WINDOW, "status": "scheduled"}
    assert domain.requests_text(scheduled) == (
        "Demandes du lundi 3 mai 2027 à 8 h 00 au lundi 17 mai 2027 à 23 h 59"
    )
    assert domain.requests_text({**WINDOW, "status": "allocated"}).startswith("Demandes closes")
    assert domain.period_text(WINDOW) == "du 6 juillet 2027 au 8 juillet 2027"
    assert domain.period_text({"days": ["2027-07-06"]}) == "le 6 juillet 2027"
    assert domain.status_label({"status": "closed"}) == "Demandes closes, tirage à venir"


def test_the_request_body_keeps_the_window_s_order_and_only_children_with_days():
    form = MultiDict(
        [
            (f"jours-{LEO}", "2027-07-08"),
            (f"jours-{LEO}", "2027-07-06"),
            ("memes-jours", "oui"),
            ("criteres", "resident"),
            ("criteres", "resident"),
        ]
    )
    read = domain.request_body(form, [LEO, ZOE], WINDOW)
    assert not read.errors
    assert read.body == {
        "children": [{"child_id": LEO, "dates": ["2027-07-06", "2027-07-08"]}],
        "siblings_together": True,
        "criteria": ["resident"],
    }


def test_the_request_form_s_own_errors():
    read = domain.request_body(MultiDict(), [LEO], WINDOW)
    assert read.errors.fields == {"enfants": "Cochez au moins un jour pour l'un de vos enfants."}
    form = MultiDict(
        [(f"jours-{LEO}", "2027-08-01"), ("criteres", "sibling_enrolled")]  # not declarable
    )
    read = domain.request_body(form, [LEO], WINDOW)
    assert set(read.errors.fields) == {f"jours-{LEO}", "criteres"}


def test_booking_s_errors_go_next_to_the_field_they_name():
    body = {"children": [{"child_id": LEO}, {"child_id": ZOE}]}
    problem = {
        "detail": "Certaines informations sont incorrectes.",
        "errors": [
            {"field": "children.1.dates.0", "detail": "Jour complet."},
            {"field": "children.0", "detail": "Enfant inconnu."},
            {"field": "criteria.0", "detail": "Critère inconnu."},
            {"field": "siblings_together", "detail": "Un seul enfant."},
        ],
    }
    found = domain.request_errors(problem, body)
    assert found.fields == {
        f"jours-{ZOE}": "Jour complet.",
        f"jours-{LEO}": "Enfant inconnu.",
        "criteres": "Critère inconnu.",
        "memes-jours": "Un seul enfant.",
    }
    assert found.general is None
    # A problem without field errors (409), or naming an unknown field: for the whole form.
    closed = domain.request_errors({"detail": "Les demandes sont closes."}, body)
    assert closed.fields == {} and closed.general == "Les demandes sont closes."
    other = domain.request_errors(
        {"detail": "Erreur.", "errors": [{"field": "x", "detail": "Autre."}]}, body
    )
    assert other.general == "Erreur. Autre."


def test_the_request_is_ticked_again_from_booking_s_answer():
    mine = {
        "siblings_together": True,
        "criteria": ["resident"],
        "children": [{"child_id": LEO, "dates": [{"date": "2027-07-06", "outcome": None}]}],
    }
    values = domain.values_of_request(mine)
    assert values.days == {LEO: {"2027-07-06"}} and values.together
    assert values.criteria == {"resident"}
    assert domain.values_of_request(None) == domain.Values()


def test_the_outcome_in_words():
    assert domain.rank_text({"rank": 3, "entries": 42}) == "3 sur 42"
    assert domain.rank_text({"rank": None}) == ""
    assert domain.day_outcome({"outcome": "booked"}) == "Place obtenue"
    waiting = {"outcome": "waiting", "waiting_position": 2}
    assert domain.day_outcome(waiting) == "Liste d'attente, position 2"


def _draw(seed: str) -> dict:
    ids = ["r-a", "r-b", "r-c"]
    levels = {"r-a": 2, "r-b": 1, "r-c": 1}

    def key(i: str) -> str:
        return hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()

    ordered = sorted(ids, key=lambda i: (levels[i], key(i)))
    return {
        "seed": seed,
        "seed_hash": hashlib.sha256(seed.encode()).hexdigest(),
        "entries": [
            {"request_id": i, "level": levels[i], "lottery_key": key(i), "rank": n}
            for n, i in enumerate(ordered, 1)
        ],
    }


def test_the_draw_is_recomputed_from_its_seed():
    draw = _draw("ab" * 32)
    assert domain.check_draw(draw) == domain.DrawCheck(True, True, True)
    assert domain.check_draw({**draw, "seed": None}) is None
    assert not domain.check_draw({**draw, "seed_hash": "0" * 64}).hash_ok
    swapped = _draw("ab" * 32)
    first, second = swapped["entries"][0], swapped["entries"][1]
    first["rank"], second["rank"] = 2, 1  # ranks not in (level, ticket) order
    found = domain.check_draw(swapped)
    assert found.keys_ok and not found.order_ok and not found.ok
    forged = _draw("ab" * 32)
    forged["entries"][2]["lottery_key"] = "f" * 64
    assert not domain.check_draw(forged).keys_ok


def test_offers_open_first_soonest_deadline_first():
    offers = [
        {"id": "p", "status": "expired", "offered_at": "2027-06-01T08:00:00+00:00"},
        {"id": "late", "status": "open", "expires_at": "2027-07-02T08:00:00+00:00"},
        {"id": "soon", "status": "open", "expires_at": "2027-07-01T08:00:00+00:00"},
        {"id": "q", "status": "accepted", "answered_at": "2027-06-10T08:00:00+00:00"},
    ]
    opened, past = domain.split_offers(offers)
    assert [o["id"] for o in opened] == ["soon", "late"]
    assert [o["id"] for o in past] == ["q", "p"]
    notice = domain.open_offers_notice(offers, "Europe/Paris")
    assert (
        notice
        == "2 places vous sont proposées : la première expire le jeudi 1er juillet 2027 à 10 h 00."
    )
    assert domain.open_offers_notice(offers[:1], "Europe/Paris") is None


def test_the_link_s_answers():
    done = domain.link_outcome(
        200, {"status": "accepted", "date": "2027-07-07", "activity_name": "Centre de loisirs"}
    )
    assert done == domain.LinkOutcome(
        "Place confirmée",
        "Place confirmée pour le mercredi 7 juillet 2027 (Centre de loisirs).",
        200,
    )
    assert domain.link_outcome(409, {"detail": "Déjà utilisé."}).status == 409
    expired = domain.link_outcome(410, None)
    assert expired.title == "Délai dépassé" and expired.status == 410
    # Anything else booking says about a link (a malformed token): an invalid link.
    assert domain.link_outcome(422, {"detail": "x"}).status == 404


def test_the_link_refused_by_the_town_s_switch_or_a_lost_enrollment():
    off = domain.link_outcome(
        403,
        {
            "type": "https://portail-famille.example/problems/feature-off",
            "detail": "La mairie ne permet pas de réserver en ligne : contactez son service.",
        },
    )
    assert (off.title, off.status) == ("Réservation en ligne fermée", 403)
    assert off.message.endswith("contactez son service.")
    lost = domain.link_outcome(
        409,
        {
            "type": "https://portail-famille.example/problems/offer-not-enrolled",
            "detail": "Votre enfant n'est plus inscrit à cette activité.",
        },
    )
    assert lost == domain.LinkOutcome(
        "Inscription requise", "Votre enfant n'est plus inscrit à cette activité.", 409
    )
