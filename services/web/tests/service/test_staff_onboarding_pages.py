"""The back-office invitations of imported families (family stood in): a run started for an
import's households or for all not invited yet, its progress (the counts refreshed by htmx
while pending) and its report of who could not be invited, the pending asked again; nobody
to invite said on the page; a family refused; a service down a French page, never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

RUN = "0f0f0f0f-0000-4000-8000-0000000000a1"
HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000011"
OTHER = "0f0f0f0f-0000-4000-8000-000000000012"
BOUNCED = "0f0f0f0f-0000-4000-8000-0000000000d1"
DELIVERED = "0f0f0f0f-0000-4000-8000-0000000000d2"
REFUSAL = "550 5.1.1 <lucie.martin@exemple.fr>: Recipient address rejected: adresse inconnue"


def crowd_account(n: int) -> str:
    return f"0f0f0f0f-0000-4000-8002-{n:012d}"


class Family:
    """The stood-in family service's runs."""

    def __init__(self) -> None:
        self.started: list[Any] = []
        self.resumed = 0
        self.pending = 1
        self.queued = 0
        self.nobody = False
        self.down = False
        self.martins = False  # two more guardians, invited: one's invitation bounces
        self.crowd = 0  # more invited guardians than notify's page

    def run(self) -> dict[str, Any]:
        guardians = [
            {
                "household_id": HOUSEHOLD,
                "guardian_id": "0f0f0f0f-0000-4000-8000-0000000000b1",
                "name": "Amélie Dupré",
                "email": "amelie.dupre@example.fr",
                "state": "pending" if self.pending else "invited",
                "reason": None,
                "reason_label": None,
                "account_id": None,
                "queued": bool(self.queued),
                "requested_at": None if self.queued else "2026-06-01T08:00:00+00:00",
                "answered_at": None,
            },
            {
                "household_id": OTHER,
                "guardian_id": "0f0f0f0f-0000-4000-8000-0000000000b2",
                "name": "Paul Faure",
                "email": None,
                "state": "skipped",
                "reason": "no_email",
                "reason_label": "Aucune adresse email dans le dossier.",
                "account_id": None,
                "queued": False,
                "requested_at": None,
                "answered_at": "2026-06-01T08:00:00+00:00",
            },
        ]
        if self.martins:
            guardians += [
                {
                    **guardians[0],
                    "household_id": OTHER,
                    "guardian_id": f"0f0f0f0f-0000-4000-8000-0000000000b{n}",
                    "name": name,
                    "email": email,
                    "state": "invited",
                    "account_id": account,
                }
                for n, name, email, account in (
                    (3, "Lucie Martin", "lucie.martin@exemple.fr", BOUNCED),
                    (4, "Marc Martin", "marc.martin@exemple.fr", DELIVERED),
                )
            ]
        guardians += [
            {
                **guardians[0],
                "guardian_id": f"0f0f0f0f-0000-4000-8001-{n:012d}",
                "name": f"Parent {n}",
                "email": f"parent{n}@exemple.fr",
                "state": "invited",
                "account_id": crowd_account(n),
            }
            for n in range(self.crowd)
        ]
        extra = (2 if self.martins else 0) + self.crowd
        return {
            "id": RUN,
            "created_by": "0f0f0f0f-0000-4000-8000-0000000000c1",
            "created_at": "2026-06-01T08:00:00+00:00",
            "total": 2 + extra,
            "pending": self.pending,
            "queued": self.queued,
            "invited": 1 - self.pending + extra,
            "skipped": 1,
            "done": self.pending == 0,
            "skipped_by_reason": {"no_email": 1},
            "guardians": guardians,
        }


class Notify:
    """The stood-in notify's emails (filtered as notify does) and the queries it got."""

    def __init__(self) -> None:
        self.queries: list[dict[str, str]] = []
        self.down = False
        self.more = False  # more emails than the page asked for
        invitation = {"event_type": "identity.AccountInvited", "template": "account_invited"}
        self.emails = [
            {
                **invitation,
                "account_id": BOUNCED,
                "recipient": "lucie.martin@exemple.fr",
                "status": "failed",
                "last_error": REFUSAL,
            },
            {
                **invitation,
                "account_id": DELIVERED,
                "recipient": "marc.martin@exemple.fr",
                "status": "sent",
                "last_error": None,
            },
            {
                "event_type": "identity.AccountLocked",
                "template": "account_locked",
                "account_id": DELIVERED,
                "recipient": "marc.martin@exemple.fr",
                "status": "failed",
                "last_error": "550 5.1.1 Boîte pleine",
            },
        ]

    def page(self, query: dict[str, str]) -> dict[str, Any]:
        accounts = query["account_id"].split(",") if "account_id" in query else None
        items = [
            e
            for e in self.emails
            if (accounts is None or e["account_id"] in accounts)
            and e["event_type"] == query.get("event_type", e["event_type"])
            and e["status"] == query.get("status", e["status"])
        ]
        return {"items": items, "next_offset": 200 if self.more else None}


@pytest.fixture
def family() -> Family:
    return Family()


@pytest.fixture
def notify() -> Notify:
    return Notify()


@pytest.fixture
def stand_in_routes(
    family: Family, notify: Notify
) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request, body: Any = None) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            services.calls.append((request.method, request.path, header, body))
            return header in services.valid_access

        async def runs(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if family.down:
                return problem(500, "Erreur.")
            summary = {k: v for k, v in family.run().items() if k not in ("guardians",)}
            items = [summary] if family.started else []
            return web.json_response({"items": items, "total": len(items), "page": 1})

        async def start(request: web.Request) -> web.Response:
            body = await request.json()
            if not allowed(request, body):
                return problem(401, "Jeton invalide.")
            if family.nobody:
                return problem(
                    422,
                    "Aucun responsable à inviter : les familles importées ont déjà toutes été "
                    "invitées.",
                    errors=[{"field": "all", "detail": "Aucun responsable à inviter."}],
                )
            family.started.append(body)
            return web.json_response(family.run(), status=201)

        async def one(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != RUN:
                return problem(404, "Cette campagne d'invitation n'existe pas.")
            return web.json_response(family.run())

        async def resume(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != RUN:
                return problem(404, "Cette campagne d'invitation n'existe pas.")
            family.resumed += 1
            return web.json_response(family.run())

        async def emails(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if notify.down:
                return problem(503, "Indisponible.")
            notify.queries.append(dict(request.query))
            return web.json_response(notify.page(dict(request.query)))

        app.router.add_get(f"{t}/emails", emails)
        app.router.add_get(f"{t}/onboarding-runs", runs)
        app.router.add_post(f"{t}/onboarding-runs", start)
        app.router.add_get(f"{t}/onboarding-runs/{{id}}", one)
        app.router.add_post(f"{t}/onboarding-runs/{{id}}/resume", resume)

    return add


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/invitations")
    return stand_in


async def test_an_imports_households_invited_then_the_progress_and_the_report(
    portal, services, family
):
    await staff_in(portal, services)
    r = await portal.get("/gestion/invitations")
    assert r.status == 200
    html = await r.text()
    assert "Aucune invitation n'a encore été lancée." in html
    # The import report's form: its households.
    r = await portal.post(
        "/gestion/invitations",
        data=[
            ("csrf_token", csrf_of(html)),
            ("household_id", HOUSEHOLD),
            ("household_id", OTHER),
        ],
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == f"/gestion/invitations/{RUN}"
    assert family.started == [{"household_ids": [HOUSEHOLD, OTHER]}]
    r = await portal.get(r.headers["Location"])
    html = await r.text()
    assert r.status == 200
    assert "Création des comptes en cours : 1 en attente sur 2." in html
    assert f'hx-get="/gestion/invitations/{RUN}" hx-trigger="every 3s"' in html
    # The report: who could not be invited, and why, with their household.
    assert "Paul Faure" in html and "Aucune adresse email dans le dossier." in html
    assert f'href="/gestion/foyers/{OTHER}"' in html
    assert "Relancer les invitations en attente" in html
    assert "attend son tour" not in html

    # Invitations wait their turn (the sending pace): said so while they do.
    family.queued = 1
    r = await portal.get(f"/gestion/invitations/{RUN}", headers={"HX-Request": "true"})
    fragment = await r.text()
    assert "Les invitations partent progressivement" in fragment
    assert "1 attend son tour." in fragment
    family.queued = 0

    # htmx asks for the counts alone; once done, it stops refreshing.
    family.pending = 0
    r = await portal.get(f"/gestion/invitations/{RUN}", headers={"HX-Request": "true"})
    fragment = await r.text()
    assert r.status == 200 and "<h1>" not in fragment
    assert "Toutes les demandes ont été traitées : 1 invitation envoyée" in fragment
    assert "hx-get" not in fragment

    # The list of runs links the report.
    r = await portal.get("/gestion/invitations")
    assert f'href="/gestion/invitations/{RUN}"' in await r.text()


async def test_all_not_yet_invited_and_the_pending_asked_again(portal, services, family):
    await staff_in(portal, services)
    r = await portal.get("/gestion/invitations")
    token = csrf_of(await r.text())
    r = await portal.post("/gestion/invitations", data={"csrf_token": token}, allow_redirects=False)
    assert r.status == 303
    assert family.started == [{"all": True}]
    r = await portal.post(
        f"/gestion/invitations/{RUN}/relancer", data={"csrf_token": token}, allow_redirects=False
    )
    assert r.status == 303 and r.headers["Location"] == f"/gestion/invitations/{RUN}"
    assert family.resumed == 1
    # Nobody left to invite: said on the page.
    family.nobody = True
    r = await portal.post("/gestion/invitations", data={"csrf_token": token})
    assert r.status == 422
    html = await r.text()
    assert "Aucune invitation n'a été lancée" in html and "déjà toutes été invitées" in html


async def test_unknown_run_csrf_service_down_and_families(portal, services, family):
    stand_in = await staff_in(portal, services)
    r = await portal.get("/gestion/invitations/0f0f0f0f-0000-4000-8000-0000000000ff")
    assert r.status == 404 and "Page introuvable" in await r.text()
    r = await portal.post("/gestion/invitations", data={})
    assert r.status == 403
    assert not family.started
    family.down = True
    r = await portal.get("/gestion/invitations")
    assert r.status == 503
    await portal.post("/deconnexion", data={"csrf_token": csrf_of(await r.text())})
    stand_in.roles = ["family"]
    portal.session.cookie_jar.clear()
    await log_in(portal)
    r = await portal.get("/gestion/invitations", allow_redirects=False)
    assert r.status == 403 and "réservée aux agents" in await r.text()


async def test_an_invitation_the_mail_server_refused_is_in_the_report(
    portal, services, family, notify
):
    await staff_in(portal, services)
    family.pending = 0
    family.martins = True
    r = await portal.get(f"/gestion/invitations/{RUN}")
    assert r.status == 200
    html = await r.text()
    # One call to notify: the run's invited accounts' refused invitations.
    (query,) = notify.queries
    assert query["event_type"] == "identity.AccountInvited" and query["status"] == "failed"
    assert query["account_id"].split(",") == [BOUNCED, DELIVERED]
    # Lucie's invitation bounced: said with the server's answer and what to do.
    section = html.split('id="non-remises-titre"')[1].split("</section>")[0]
    assert "Lucie Martin" in section and "Invitation non remise" in section
    assert escape(REFUSAL) in section
    assert f'href="/gestion/foyers/{OTHER}"' in section
    assert f'href="/gestion/comptes/{BOUNCED}"' in section
    assert "mot de passe provisoire" in section
    assert "Marc Martin" not in section  # delivered; his other failed email is no invitation
    everyone = html.split('id="tous-titre"')[1]
    assert re.search(r"Lucie Martin</th><td>[^<]*</td><td>Invitation non remise<", everyone)
    assert re.search(r"Marc Martin</th><td>[^<]*</td><td>Invité<", everyone)
    # The counts at the top: 3 invited by family, 1 of them not delivered.
    assert "<dt>Invités</dt><dd>3</dd>" in html
    assert "<dt>Invitations non remises</dt><dd>1</dd>" in html
    assert "1 invitation n'a pas pu être remise" in html
    # The refreshed counts say it too.
    r = await portal.get(f"/gestion/invitations/{RUN}", headers={"HX-Request": "true"})
    assert "<dt>Invitations non remises</dt><dd>1</dd>" in await r.text()

    # Nothing bounced: a count of 0 and the section says so.
    notify.emails[0]["status"] = "sent"
    html = await (await portal.get(f"/gestion/invitations/{RUN}")).text()
    assert "<dt>Invitations non remises</dt><dd>0</dd>" in html
    assert "Aucune invitation refusée par le serveur de messagerie." in html
    assert "Invitation non remise<" not in html

    # notify down: the report still shows, the delivery said unchecked (never a 500).
    notify.down = True
    r = await portal.get(f"/gestion/invitations/{RUN}")
    assert r.status == 200
    html = await r.text()
    assert "ne peut pas être vérifié" in html and "Lucie Martin" in html
    assert "<dt>Invitations non remises</dt>" not in html


async def test_no_invited_account_no_question_to_notify(portal, services, family, notify):
    await staff_in(portal, services)
    r = await portal.get(f"/gestion/invitations/{RUN}")  # Amélie pending, Paul skipped
    assert r.status == 200
    assert notify.queries == []


async def test_more_invited_than_a_page_asks_for_the_towns_refused_invitations(
    portal, services, family, notify
):
    await staff_in(portal, services)
    family.pending, family.crowd = 0, 201
    notify.emails.append(
        {
            "event_type": "identity.AccountInvited",
            "template": "account_invited",
            "account_id": crowd_account(200),
            "recipient": "parent200@exemple.fr",
            "status": "failed",
            "last_error": "550 Mailbox unavailable",
        }
    )
    # Refused invitations of accounts not in this run: not this run's.
    notify.emails[0]["account_id"] = "0f0f0f0f-0000-4000-8003-000000000000"
    notify.more = True
    html = await (await portal.get(f"/gestion/invitations/{RUN}")).text()
    (query,) = notify.queries
    assert "account_id" not in query and query["limit"] == "200"
    assert query["event_type"] == "identity.AccountInvited" and query["status"] == "failed"
    section = html.split('id="non-remises-titre"')[1].split("</section>")[0]
    assert "Parent 200" in section and "550 Mailbox unavailable" in section
    assert "Lucie" not in section
    assert "<dt>Invitations non remises</dt><dd>1</dd>" in html
    assert "Seules les 200 dernières invitations refusées de la commune" in html
