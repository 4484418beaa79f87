"""Sign-up, activation and first login, and every bad input on the way."""

from __future__ import annotations

from typing import Any

Portal = Any  # the `portal` fixture (conftest.Portal)


async def test_signup_activation_login(portal: Portal) -> None:
    r = await portal.signup("simon.durand@live.fr")
    assert r.status == 202
    assert r.headers["Cache-Control"] == "no-store"
    event = await portal.event("identity.AccountRegistered", "simon.durand@live.fr")
    assert event["tenant_id"] == "epagny"
    url = event["payload"]["activation_url"]
    assert url.startswith("http://127.0.0.1:8080/epagny/activation?token=")
    assert len(portal.link_token(url)) == 43  # 256 bits
    # Before activation: said clearly, because the password is right.
    r = await portal.post("/login", {"login": "simon.durand@live.fr", "password": portal.PASSWORD})
    assert r.status == 403
    problem = await r.json()
    assert problem["type"].endswith("/account-not-activated")
    assert "pas encore activé" in problem["detail"]
    # ... but a wrong password before activation gets the generic answer.
    r = await portal.post("/login", {"login": "simon.durand@live.fr", "password": "Faux12345"})
    assert r.status == 401
    r = await portal.post("/activation", {"token": portal.link_token(url)})
    assert r.status == 200, await r.text()
    await portal.event("identity.AccountActivated", "simon.durand@live.fr")
    body = await portal.login("simon.durand", portal.PASSWORD)  # the part before the @
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert len(body["refresh_token"]) == 43
    assert body["password_change_required"] is False
    assert body["terms"] == {
        "accepted_version": None,
        "accepted_at": None,
        "current_version": None,
        "url": None,
        "must_accept": False,
    }
    r = await portal.get("/me", body["access_token"])
    assert r.status == 200
    me = await r.json()
    assert me["email"] == "simon.durand@live.fr"
    assert me["roles"] == ["family"]
    # The link was single-use.
    r = await portal.post("/activation", {"token": portal.link_token(url)})
    assert r.status == 409
    assert (await r.json())["detail"] == "Ce lien a déjà été utilisé."


async def test_weak_password_lists_every_problem_in_french(portal: Portal) -> None:
    r = await portal.signup("lea.martin@free.fr", password="martin")
    assert r.status == 422
    problem = await r.json()
    assert problem["type"].endswith("/weak-password")
    details = {e["detail"] for e in problem["errors"]}
    assert {e["field"] for e in problem["errors"]} == {"password"}
    assert "Le mot de passe doit contenir au moins 8 caractères." in details
    assert "Le mot de passe doit contenir au moins une lettre majuscule." in details
    assert "Le mot de passe doit contenir au moins un chiffre." in details
    assert any("ni votre nom ni votre adresse e-mail" in d for d in details)
    r = await portal.signup("lea.martin@free.fr", password="Password1")
    assert r.status == 422
    assert any("trop courant" in e["detail"] for e in (await r.json())["errors"])


async def test_malformed_json_and_missing_fields(portal: Portal) -> None:
    r = await portal.client.post(
        "/tenants/epagny/signup", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status == 400
    assert (await r.json())["detail"] == "Le corps de la requête n'est pas un JSON valide."
    r = await portal.post("/signup", {"email": "pas-une-adresse", "unexpected": 1})
    assert r.status == 422
    errors = {e["field"]: e["detail"] for e in (await r.json())["errors"]}
    assert errors["display_name"] == "Ce champ est obligatoire."
    assert errors["password"] == "Ce champ est obligatoire."
    assert errors["captcha"] == "Ce champ est obligatoire."
    assert errors["email"] == "L'adresse e-mail n'est pas valide."
    assert errors["unexpected"] == "Ce champ n'est pas attendu."
    r = await portal.client.post("/tenants/epagny/login", data=b"login=a")
    assert r.status == 415


async def test_captcha_wrong_or_replayed(portal: Portal) -> None:
    body = {
        "display_name": "Paul Roux",
        "email": "paul.roux@orange.fr",
        "password": portal.PASSWORD,
        "captcha": "bm90IGEgcGF5bG9hZA==",
    }
    r = await portal.post("/signup", body)
    assert r.status == 422
    problem = await r.json()
    assert problem["type"].endswith("/captcha-invalid")
    assert problem["detail"] == "La vérification anti-robot a échoué ; merci de la refaire."
    body["captcha"] = await portal.captcha()
    assert (await portal.post("/signup", body)).status == 202
    body["email"] = "autre@orange.fr"
    r = await portal.post("/signup", body)
    assert r.status == 422
    assert "déjà servi" in (await r.json())["detail"]


async def test_signup_does_not_reveal_known_emails(portal: Portal) -> None:
    await portal.family("connu@live.fr")
    known = await portal.signup("connu@live.fr", name="Quelqu'un d'autre")
    unknown = await portal.signup("inconnu@live.fr")
    assert known.status == unknown.status == 202
    assert await known.json() == await unknown.json()
    await portal.event("identity.AccountRegistered", "inconnu@live.fr")
    # Nothing is sent for the known address (only the first sign-up's event exists).
    assert len(portal.tap.of_type("identity.AccountRegistered")) == 2
    r = await portal.get("/audit?action=signup_existing_email", portal.admins["epagny"])
    assert (await r.json())["total"] == 1


async def test_activation_links_expired_unknown_and_resent(portal: Portal) -> None:
    assert (await portal.signup("lent@live.fr")).status == 202
    first = await portal.event("identity.AccountRegistered", "lent@live.fr")
    token = portal.link_token(first["payload"]["activation_url"])
    await portal.pool.execute("UPDATE link_tokens SET expires_at = now() - interval '1 minute'")
    r = await portal.post("/activation", {"token": token})
    assert r.status == 410
    assert (await r.json())["detail"] == "Ce lien a expiré ; vous pouvez en demander un nouveau."
    r = await portal.post("/activation", {"token": "x" * 43})
    assert r.status == 404
    assert "pas valide" in (await r.json())["detail"]
    # Resend: same answer for known and unknown emails; a new link for the pending account.
    known = await portal.post("/activation/resend", {"email": "lent@live.fr"})
    unknown = await portal.post("/activation/resend", {"email": "personne@live.fr"})
    assert known.status == unknown.status == 202
    assert await known.json() == await unknown.json()
    second = await portal.event("identity.AccountRegistered", "lent@live.fr", index=1)
    r = await portal.post(
        "/activation", {"token": portal.link_token(second["payload"]["activation_url"])}
    )
    assert r.status == 200
    await portal.login("lent@live.fr")
