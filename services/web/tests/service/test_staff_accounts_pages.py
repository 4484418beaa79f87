"""The accounts back-office over HTTP (identity and booking stood in, identity keeping its
accounts and audit log in memory): the list searched and filtered, an account created by
invitation or with a temporary password shown once, identity's refusals next to their
fields, one account's details, a temporary password given after its confirmation, disable
and enable and roles refused to agents (French 403) and done by an admin, the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from html import unescape
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

NOW = "2026-11-02T08:00:00+00:00"
HOUSEHOLD = "b0b0b0b0-0000-4000-8000-000000000001"
PASSWORD = "Xk4rT9wQm2Lp7z"


class Identity:
    """What the identity stand-in keeps."""

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, Any]] = {}
        self.audit: list[dict[str, Any]] = []
        self.queries: list[dict[str, str]] = []
        self.created: list[dict[str, Any]] = []
        self.patched: list[dict[str, Any]] = []
        self.given: list[str] = []

    def add(self, email: str, roles: list[str], **extra: Any) -> dict[str, Any]:
        account = {
            "id": str(uuid.uuid4()),
            "email": email,
            "display_name": extra.pop("display_name", email.split("@")[0].title()),
            "roles": roles,
            "sites": extra.pop("sites", []),
            "status": extra.pop("status", "active"),
            "household_id": extra.pop("household_id", None),
            "must_change_password": False,
            "terms_accepted_version": 1,
            "created_at": NOW,
        }
        self.accounts[account["id"]] = account
        return account


@pytest.fixture
def identity() -> Identity:
    found = Identity()
    found.add("martin@live.fr", ["family"], display_name="Famille Martin", household_id=HOUSEHOLD)
    found.add("collegue@mairie.fr", ["staff"], display_name="Paul Collègue")
    return found


@pytest.fixture
def stand_in_routes(identity: Identity) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request, body: Any = None) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            services.calls.append((request.method, request.path, header, body))
            return header in services.valid_access

        def admin() -> bool:
            return "admin" in services.roles

        async def activities(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(
                {
                    "items": [
                        {"id": "1", "name": "Cantine", "site": "École du centre"},
                        {"id": "2", "name": "Garderie", "site": "École du centre"},
                        {"id": "3", "name": "Vacances", "site": "Centre du Lac"},
                        {"id": "4", "name": "Sans lieu", "site": None},
                    ]
                }
            )

        async def accounts(request: web.Request) -> web.Response:
            if request.method == "POST":
                body = await request.json()
                if not allowed(request, body):
                    return problem(401, "Jeton invalide.")
                identity.created.append(body)
                if set(body["roles"]) - {"family"} and not admin():
                    return problem(403, "Seul un administrateur peut créer ce compte.")
                if any(a["email"] == body["email"] for a in identity.accounts.values()):
                    return problem(409, "Un compte utilise déjà cette adresse e-mail.")
                if "@" not in body["email"]:
                    return problem(
                        422,
                        "Certaines informations sont incorrectes : email.",
                        errors=[{"field": "email", "detail": "Adresse e-mail invalide."}],
                    )
                account = identity.add(
                    body["email"],
                    body["roles"],
                    display_name=body["display_name"],
                    sites=body["sites"],
                    status="active" if body["mode"] == "temporary_password" else "invited",
                )
                temporary = body["mode"] == "temporary_password"
                return web.json_response(
                    {
                        "account": account,
                        "mode": body["mode"],
                        "temporary_password": PASSWORD if temporary else None,
                        "invitation_expires_at": None if temporary else NOW,
                    },
                    status=201,
                )
            if not allowed(request, dict(request.query)):
                return problem(401, "Jeton invalide.")
            identity.queries.append(dict(request.query))
            items = list(identity.accounts.values())
            if q := request.query.get("q"):
                items = [a for a in items if q.lower() in (a["email"] + a["display_name"]).lower()]
            if role := request.query.get("role"):
                items = [a for a in items if role in a["roles"]]
            if status := request.query.get("status"):
                items = [a for a in items if a["status"] == status]
            limit, offset = int(request.query["limit"]), int(request.query.get("offset", "0"))
            return web.json_response(
                {
                    "items": items[offset : offset + limit],
                    "total": len(items),
                    "limit": limit,
                    "offset": offset,
                }
            )

        async def account_one(request: web.Request) -> web.Response:
            body = await request.json() if request.method == "PATCH" else None
            if not allowed(request, body):
                return problem(401, "Jeton invalide.")
            account = identity.accounts.get(request.match_info["id"])
            if account is None:
                return problem(404, "Ce compte n'existe pas.")
            if request.method == "PATCH":
                if not admin():
                    return problem(403, "Réservé aux administrateurs.")
                identity.patched.append(body)
                if body["roles"] == ["animator"] and body["sites"] == ["Centre du Lac"]:
                    detail = "Un site est fermé."  # a refusal only identity knows
                    return problem(422, detail, errors=[{"field": "sites", "detail": detail}])
                account.update(roles=body["roles"], sites=body["sites"])
            return web.json_response(account)

        async def account_action(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            account = identity.accounts.get(request.match_info["id"])
            if account is None:
                return problem(404, "Ce compte n'existe pas.")
            action = request.match_info["action"]
            if action in ("disable", "enable"):
                if not admin():
                    return problem(403, "Réservé aux administrateurs.")
                account["status"] = "disabled" if action == "disable" else "active"
                return web.json_response(account)
            if set(account["roles"]) - {"family"} and not admin():
                return problem(403, "Seul un administrateur peut donner ce mot de passe.")
            if account["status"] == "disabled":
                return problem(409, "Ce compte est désactivé : réactivez-le d'abord.")
            identity.given.append(account["id"])
            account["must_change_password"] = True
            return web.json_response({"account": account, "temporary_password": PASSWORD})

        async def audit(request: web.Request) -> web.Response:
            if not allowed(request, dict(request.query)):
                return problem(401, "Jeton invalide.")
            if not admin():
                return problem(403, "Réservé aux administrateurs.")
            identity.queries.append(dict(request.query))
            items = identity.audit
            if email := request.query.get("email"):
                items = [e for e in items if email in (e["account_email"], e["actor_email"])]
            if account_id := request.query.get("account_id"):
                items = [e for e in items if account_id in (e["account_id"], e["actor_id"])]
            limit, offset = int(request.query["limit"]), int(request.query.get("offset", "0"))
            return web.json_response(
                {
                    "items": items[offset : offset + limit],
                    "total": len(items),
                    "limit": limit,
                    "offset": offset,
                }
            )

        r = app.router
        r.add_get(f"{t}/activities", activities)
        r.add_route("*", f"{t}/accounts", accounts)
        r.add_route("*", f"{t}/accounts/{{id}}", account_one)
        r.add_post(f"{t}/accounts/{{id}}/{{action}}", account_action)
        r.add_get(f"{t}/audit", audit)

    return add


async def staff_in(
    portal: TestClient, services: tuple[Services, str], roles: list[str] | None = None
) -> Services:
    stand_in, _ = services
    stand_in.roles = roles or ["staff"]
    await log_in(portal, "/gestion/comptes")
    return stand_in


async def admin_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    return await staff_in(portal, services, ["admin", "staff"])


async def page(portal: TestClient, path: str, status: int = 200) -> str:
    r = await portal.get(path)
    text = unescape(await r.text())
    assert r.status == status, text
    return text


async def post(
    portal: TestClient, path: str, data: Any, *, csrf_from: str
) -> tuple[int, str, str, Any]:
    """POSTs `data` (a dict or a list of pairs) with the CSRF token of the page `csrf_from`."""
    token = csrf_of(await page(portal, csrf_from))
    pairs = list(data.items()) if isinstance(data, dict) else list(data)
    r = await portal.post(path, data=[*pairs, ("csrf_token", token)], allow_redirects=False)
    return r.status, r.headers.get("Location", ""), unescape(await r.text()), r.headers


def by_email(identity: Identity, email: str) -> dict[str, Any]:
    return next(a for a in identity.accounts.values() if a["email"] == email)


async def test_the_list_is_searched_filtered_and_paged(portal, services, identity):
    await staff_in(portal, services)
    for n in range(30):
        identity.add(f"famille{n:02}@live.fr", ["family"], display_name=f"Famille {n:02}")
    html = await page(portal, "/gestion/comptes")
    assert "32 comptes ; résultats 1 à 25." in html
    assert "Famille Martin" in html and "Page 1 sur 2" in html
    assert f'href="/gestion/comptes/{by_email(identity, "martin@live.fr")["id"]}"' in html
    html = await page(portal, "/gestion/comptes?page=2")
    assert "résultats 26 à 32" in html
    html = await page(portal, "/gestion/comptes?q=paul&role=agent&statut=actif")
    assert "Paul Collègue" in html and "Famille Martin" not in html
    assert identity.queries[-1] == {
        "q": "paul",
        "role": "staff",
        "status": "active",
        "limit": "25",
        "offset": "0",
    }
    # Unknown filters are no filter; the agent sees no link to the admin's log.
    await page(portal, "/gestion/comptes?role=pirate&statut=x&page=abc")
    assert identity.queries[-1] == {"limit": "25", "offset": "0"}
    assert "/gestion/journal" not in html


async def test_an_agent_creates_a_family_account_by_invitation(portal, services, identity):
    await staff_in(portal, services)
    html = await page(portal, "/gestion/comptes/nouveau")
    # An agent creates families only: no kind to choose but that one, no sites.
    assert 'value="famille"' in html and 'value="agent"' not in html
    assert "Sites de l'animateur" not in html
    status, location, _, _ = await post(
        portal,
        "/gestion/comptes/nouveau",
        {
            "email": "durand@live.fr",
            "display_name": "Famille Durand",
            "kind": "famille",
            "mode": "invitation",
        },
        csrf_from="/gestion/comptes/nouveau",
    )
    assert status == 303
    created = by_email(identity, "durand@live.fr")
    assert location == f"/gestion/comptes/{created['id']}?fait=invite"
    assert identity.created[-1] == {
        "email": "durand@live.fr",
        "display_name": "Famille Durand",
        "roles": ["family"],
        "sites": [],
        "mode": "invitation",
    }
    html = await page(portal, location)
    assert "l'invitation part par courriel" in html and "Invité, pas encore activé" in html


async def test_an_agent_may_not_create_a_colleague(portal, services, identity):
    await staff_in(portal, services)
    status, _, html, _ = await post(
        portal,
        "/gestion/comptes/nouveau",
        {"email": "x@mairie.fr", "display_name": "X", "kind": "agent", "mode": "invitation"},
        csrf_from="/gestion/comptes/nouveau",
    )
    assert status == 422
    assert 'id="kind-erreur"' in html and "Seul un administrateur" in html
    assert identity.created == []  # refused before asking identity


async def test_an_admin_creates_an_animator_with_a_temporary_password(portal, services, identity):
    await admin_in(portal, services)
    html = await page(portal, "/gestion/comptes/nouveau")
    # The town's sites, once each, from booking's activities.
    assert html.count('name="sites"') == 2
    assert html.index("Centre du Lac") < html.index("École du centre")
    form = [
        ("email", "lea@mairie.fr"),
        ("display_name", "Léa Animatrice"),
        ("kind", "animateur"),
        ("mode", "temporary_password"),
    ]
    status, _, html, _ = await post(
        portal, "/gestion/comptes/nouveau", form, csrf_from="/gestion/comptes/nouveau"
    )
    assert status == 422
    assert 'id="sites-erreur"' in html and "Cochez au moins un site" in html
    assert 'value="lea@mairie.fr"' in html  # what was typed stays
    status, _, html, headers = await post(
        portal,
        "/gestion/comptes/nouveau",
        [*form, ("sites", "École du centre")],
        csrf_from="/gestion/comptes/nouveau",
    )
    assert status == 200
    assert identity.created[-1]["roles"] == ["animator"]
    assert identity.created[-1]["sites"] == ["École du centre"]
    assert PASSWORD in html and "il ne sera plus jamais affiché" in html
    assert headers["Cache-Control"] == "no-store"
    # Shown once: the account's page never shows it again.
    account = by_email(identity, "lea@mairie.fr")
    html = await page(portal, f"/gestion/comptes/{account['id']}")
    assert PASSWORD not in html and "École du centre" in html and "Animateur" in html


async def test_identity_refusals_are_shown_next_to_their_fields(portal, services, identity):
    await admin_in(portal, services)
    base = {"display_name": "Y", "kind": "famille", "mode": "invitation"}
    status, _, html, _ = await post(
        portal,
        "/gestion/comptes/nouveau",
        {**base, "email": "martin@live.fr"},
        csrf_from="/gestion/comptes/nouveau",
    )
    assert status == 409
    assert 'id="email-erreur"' in html and "utilise déjà cette adresse" in html
    status, _, html, _ = await post(
        portal,
        "/gestion/comptes/nouveau",
        {**base, "email": "pas-une-adresse"},
        csrf_from="/gestion/comptes/nouveau",
    )
    assert status == 422
    assert 'id="email-erreur"' in html and "Adresse e-mail invalide." in html
    status, _, html, _ = await post(
        portal,
        "/gestion/comptes/nouveau",
        {"email": "", "display_name": "", "kind": "", "mode": ""},
        csrf_from="/gestion/comptes/nouveau",
    )
    assert status == 422
    for name in ("email", "display_name", "kind", "mode"):
        assert f'id="{name}-erreur"' in html


async def test_a_temporary_password_is_given_after_confirmation(portal, services, identity):
    await staff_in(portal, services)
    family = by_email(identity, "martin@live.fr")
    html = await page(portal, f"/gestion/comptes/{family['id']}")
    assert f'href="/gestion/foyers/{HOUSEHOLD}"' in html
    assert "Désactiver" not in html and "Réactiver" not in html  # an agent's page
    assert "Journal du compte" not in html
    html = await page(portal, f"/gestion/comptes/{family['id']}/mot-de-passe")
    assert "ne fonctionnera plus" in html and identity.given == []
    path = f"/gestion/comptes/{family['id']}/mot-de-passe"
    status, _, html, headers = await post(portal, path, {}, csrf_from=path)
    assert status == 200 and identity.given == [family["id"]]
    assert PASSWORD in html and "il ne sera plus jamais affiché" in html
    assert headers["Cache-Control"] == "no-store"
    # Without the CSRF token nothing is given.
    r = await portal.post(path, data={}, allow_redirects=False)
    assert r.status == 403 and identity.given == [family["id"]]


async def test_an_agent_may_not_act_on_a_colleague(portal, services, identity):
    await staff_in(portal, services)
    colleague = by_email(identity, "collegue@mairie.fr")
    html = await page(portal, f"/gestion/comptes/{colleague['id']}")
    assert "Donner un mot de passe provisoire" not in html
    assert "Seul un administrateur peut agir sur ce compte." in html
    path = f"/gestion/comptes/{colleague['id']}/mot-de-passe"
    status, _, html, _ = await post(
        portal, path, {}, csrf_from=f"/gestion/comptes/{colleague['id']}"
    )
    assert status == 403 and "Seul un administrateur peut donner" in html
    assert PASSWORD not in html
    for action in ("desactiver", "activer", "roles"):
        status, _, html, _ = await post(
            portal,
            f"/gestion/comptes/{colleague['id']}/{action}",
            {"kind": "administrateur"},
            csrf_from=f"/gestion/comptes/{colleague['id']}",
        )
        assert status == 403 and "Accès réservé" in html
    assert colleague["status"] == "active" and identity.patched == []
    html = await page(portal, "/gestion/journal", status=403)
    assert "Accès réservé" in html


async def test_an_admin_disables_enables_and_changes_roles(portal, services, identity):
    await admin_in(portal, services)
    colleague = by_email(identity, "collegue@mairie.fr")
    home = f"/gestion/comptes/{colleague['id']}"
    status, location, _, _ = await post(portal, f"{home}/desactiver", {}, csrf_from=home)
    assert (status, location) == (303, f"{home}?fait=desactive")
    html = await page(portal, location)
    assert "Le compte est désactivé" in html and "Réactiver le compte" in html
    assert "Donner un mot de passe provisoire" not in html  # refused to a disabled account
    status, location, _, _ = await post(portal, f"{home}/activer", {}, csrf_from=home)
    assert location == f"{home}?fait=active" and colleague["status"] == "active"

    status, _, html, _ = await post(portal, f"{home}/roles", {"kind": "animateur"}, csrf_from=home)
    assert status == 422 and 'id="sites-erreur"' in html and identity.patched == []
    status, _, html, _ = await post(
        portal, f"{home}/roles", [("kind", "animateur"), ("sites", "Centre du Lac")], csrf_from=home
    )
    assert status == 422 and "Un site est fermé." in html and 'id="sites-erreur"' in html
    status, location, _, _ = await post(
        portal,
        f"{home}/roles",
        [("kind", "animateur"), ("sites", "École du centre")],
        csrf_from=home,
    )
    assert (status, location) == (303, f"{home}?fait=roles")
    assert identity.patched[-1] == {"roles": ["animator"], "sites": ["École du centre"]}
    status, location, _, _ = await post(
        portal, f"{home}/roles", {"kind": "administrateur"}, csrf_from=home
    )
    assert identity.patched[-1] == {"roles": ["admin", "staff"], "sites": []}


async def test_the_audit_log_is_filtered_by_email_and_paged(portal, services, identity):
    await admin_in(portal, services)
    martin = by_email(identity, "martin@live.fr")
    for n in range(30):
        identity.audit.append(
            {
                "id": 100 - n,
                "at": NOW,
                "action": "login_succeeded" if n % 2 else "account_updated",
                "account_id": martin["id"],
                "actor_id": None,
                "login": "martin@live.fr",
                "ip": "203.0.113.9",
                "user_agent": "Firefox",
                "details": {"roles": {"before": ["staff"], "after": ["animator"]}}
                if n % 2 == 0
                else {},
                "account_email": "martin@live.fr",
                "actor_email": None,
            }
        )
    html = await page(portal, "/gestion/comptes")
    assert 'href="/gestion/journal"' in html
    html = await page(portal, "/gestion/journal?courriel=Martin@live.fr")
    assert identity.queries[-1] == {"email": "martin@live.fr", "limit": "25", "offset": "0"}
    assert "30 entrées ; entrées 1 à 25." in html and "Connexion" in html
    assert "rôles : Agent → Animateur" in html
    assert "courriel=martin%40live.fr&page=2" in html
    html = await page(portal, "/gestion/journal?courriel=martin%40live.fr&page=2")
    assert "entrées 26 à 30" in html
    html = await page(portal, f"/gestion/comptes/{martin['id']}")
    assert "Journal du compte" in html and "rôles : Agent → Animateur" in html
    assert identity.queries[-1] == {"account_id": martin["id"], "limit": "50"}


async def test_families_and_visitors_may_not_enter(portal, services, identity):
    r = await portal.get("/gestion/comptes", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion")
    await log_in(portal, "/")
    for path in ("/gestion/comptes", "/gestion/comptes/nouveau", "/gestion/journal"):
        html = await page(portal, path, status=403)
        assert "Accès réservé" in html
    assert identity.queries == []
