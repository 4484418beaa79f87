"""The demo town's year, set up as its staff would do it through the services' public APIs
(development only; idempotent: what is already there is left alone).

- booking: the school canteen, the evening after-school care, the Wednesday club (each for
  the current school year) and a holiday week in five weeks' time with a late booking window;
- billing: the régie « Enfance-Jeunesse » taking card payments on eopayment's dummy backend
  (billing's development payment page), each activity billed by it with prices by family
  quotient, and the town's wallet (« tirelire ») held by it;
- notify: a news item, this week's and next week's canteen menus;
- the demo family's account linked to its household with its subscriber code, as a family
  does from the portal (`python -m family load-demo` says the code; it is idempotent).

Run by `scripts/dev` (scripts/run_services.py) once every service is ready and the demo
accounts and households are loaded; `DEV_DEMO_TOWN=0` leaves the town empty (the browser
tests make their own). Environment: WEB_<SERVICE>_URL (the services' URLs, as the portal
reads them), DATABASE_URL and the family service's settings (its load-demo).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from typing import Any

import aiohttp

TENANT = "demo"
STAFF = "admin@demo.example"
FAMILY = "famille@demo.example"
PASSWORD = "Demo-2026-portail"
T = f"/tenants/{TENANT}"
# Prices by family quotient (cents): up to 450, 451 to 800, above 800 or unknown.
BRACKETS = {
    "canteen": [120, 250, 415],
    "evening": [80, 150, 220],
    "wednesday": [450, 800, 1200],
    "holidays": [600, 1000, 1500],
}


def school_year(today: date) -> tuple[date, date]:
    start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    return start, date(start.year + 1, 7, 4)


def activities(today: date) -> list[tuple[str, dict[str, Any]]]:
    """(price key, booking's activity body) of the demo town's activities."""
    first, last = school_year(today)
    holidays = today + timedelta(days=35 - today.weekday())
    week = {"days_before": 2, "at": "23:59"}
    return [
        (
            "canteen",
            {
                "name": "Restauration scolaire",
                "type": "CANTINE",
                "site": "École du centre",
                "period_from": first.isoformat(),
                "period_to": last.isoformat(),
                "weekdays": [1, 2, 4, 5],
                "capacity": 120,
                "booking_deadline": {"days_before": 1, "at": "09:00"},
                "cancel_deadline": {"days_before": 1, "at": "09:00"},
                "late_allowed": True,
                "late_deadline": {"days_before": 0, "at": "09:00"},
            },
        ),
        (
            "evening",
            {
                "name": "Accueil périscolaire du soir",
                "type": "PERI",
                "site": "École du centre",
                "period_from": first.isoformat(),
                "period_to": last.isoformat(),
                "weekdays": [1, 2, 4, 5],
                "capacity": 40,
                "booking_deadline": week,
                "cancel_deadline": week,
            },
        ),
        (
            "wednesday",
            {
                "name": "Mercredis loisirs",
                "type": "MERCREDI",
                "site": "Centre du Lac",
                "period_from": first.isoformat(),
                "period_to": last.isoformat(),
                "weekdays": [3],
                "capacity": 24,
                "booking_deadline": {"days_before": 7, "at": "12:00"},
                "cancel_deadline": {"days_before": 7, "at": "12:00"},
            },
        ),
        (
            "holidays",
            {
                "name": "Centre de loisirs — semaine de vacances",
                "type": "VACANCES",
                "site": "Centre du Lac",
                "period_from": holidays.isoformat(),
                "period_to": (holidays + timedelta(days=4)).isoformat(),
                "weekdays": [1, 2, 3, 4, 5],
                "capacity": 20,
                "min_age": 3,
                "max_age": 12,
                "booking_deadline": {"days_before": 14, "at": "23:59"},
                "cancel_deadline": {"days_before": 7, "at": "23:59"},
                "late_allowed": True,
                "late_deadline": {"days_before": 3, "at": "23:59"},
            },
        ),
    ]


def menu(monday: date) -> dict[str, Any]:
    dishes = [
        ("Carottes râpées", "Hachis parmentier", "Yaourt nature"),
        ("Potage de légumes", "Poisson pané, riz", "Compote pomme-poire"),
        ("Salade de lentilles", "Poulet rôti, haricots verts", "Fromage blanc"),
        ("Concombre à la crème", "Lasagnes végétariennes", "Fruit de saison"),
    ]
    days = [monday + timedelta(days=n) for n in (0, 1, 3, 4)]
    return {
        "days": [
            {"date": day.isoformat(), "starter": s, "main": m, "dessert": d}
            for day, (s, m, d) in zip(days, dishes, strict=True)
        ],
        "remarks": "Viandes d'origine France. Un plat végétarien chaque semaine.",
    }


class Town:
    def __init__(self, http: aiohttp.ClientSession, urls: dict[str, str]) -> None:
        self.http, self.urls = http, urls
        self.headers: dict[str, dict[str, str]] = {}

    async def login(self, who: str) -> dict[str, str]:
        async with self.http.post(
            f"{self.urls['identity']}{T}/login", json={"login": who, "password": PASSWORD}
        ) as r:
            body = await r.json()
            if r.status != 200:
                raise RuntimeError(f"login of {who}: {r.status} {body}")
        self.headers[who] = {"Authorization": f"Bearer {body['access_token']}"}
        return self.headers[who]

    async def call(
        self, service: str, method: str, path: str, body: Any = None, *, who: str = STAFF
    ) -> tuple[int, Any]:
        headers = self.headers.get(who) or await self.login(who)
        async with self.http.request(
            method, f"{self.urls[service]}{T}{path}", json=body, headers=headers
        ) as r:
            answer = await r.json() if r.content_type.endswith("json") else None
            if r.status >= 500 or (r.status >= 400 and r.status not in (403, 404, 409)):
                raise RuntimeError(f"{service} {method} {path}: {r.status} {answer}")
            return r.status, answer


async def set_up(urls: dict[str, str], link_code: str | None) -> list[str]:
    """The town's year; returns what was done (nothing when it was all there)."""
    done: list[str] = []
    today = date.today()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        town = Town(http, urls)
        _, listed = await town.call("booking", "GET", "/activities")
        existing = {a["name"]: a for a in listed["items"]}
        _, regies = await town.call("billing", "GET", "/regies")
        regie = next((r for r in regies["regies"] if r["code"] == "ENFANCE"), None)
        if regie is None:
            _, regie = await town.call(
                "billing",
                "POST",
                "/regies",
                {
                    "code": "ENFANCE",
                    "name": "Régie Enfance-Jeunesse",
                    "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
                    "email": "regie@demo.example",
                },
            )
            await town.call(
                "billing",
                "PUT",
                f"/regies/{regie['id']}/card-payment",
                {"backend": "dummy", "options": {"origin": "Portail Famille"}},
            )
            await town.call("billing", "PUT", "/billing/wallet-settings", {"regie_id": regie["id"]})
            done.append("régie ENFANCE (card payments, wallet)")
        for prices, body in activities(today):
            activity = existing.get(body["name"])
            if activity is None:
                _, activity = await town.call("booking", "POST", "/activities", body)
                done.append(f"activity {body['name']}")
            billed = "/billing/activities/" + activity["id"]
            await town.call(
                "billing",
                "PUT",
                billed,
                {
                    "regie_id": regie["id"],
                    "name": body["name"],
                    "billing_mode": "prepaid"
                    if prices in ("wednesday", "holidays")
                    else "postpaid",
                    "unit": "meal" if prices == "canteen" else "day",
                },
            )
            _, grids = await town.call("billing", "GET", f"{billed}/price-grids")
            if not grids["grids"]:
                low, middle, high = BRACKETS[prices]
                await town.call(
                    "billing",
                    "POST",
                    f"{billed}/price-grids",
                    {
                        "valid_from": school_year(today)[0].isoformat(),
                        "brackets": [
                            {"qf_min": 0, "qf_max": 450, "amounts": [low]},
                            {"qf_min": 451, "qf_max": 800, "amounts": [middle]},
                            {"qf_min": 801, "qf_max": None, "amounts": [high]},
                        ],
                    },
                )
        monday = today - timedelta(days=today.weekday())
        for week in (monday, monday + timedelta(days=7)):
            _, current = await town.call("notify", "GET", f"/menus?week={week.isoformat()}")
            if not any(
                w["week_start"] == week.isoformat() and w["published"] for w in current["weeks"]
            ):
                await town.call("notify", "PUT", f"/menus/{week.isoformat()}", menu(week))
                done.append(f"menu of the week of {week.isoformat()}")
        if link_code:
            status, _ = await town.call("family", "GET", "/me/household", who=FAMILY)
            if status != 200:
                status, _ = await town.call(
                    "family", "POST", "/me/household/link", {"code": link_code}, who=FAMILY
                )
                done.append(f"{FAMILY} linked to its household ({status})")
                await town.login(FAMILY)  # a token that carries the household
            _, news = await town.call("notify", "GET", "/me/news", who=FAMILY)
            title = "Inscriptions aux vacances : c'est ouvert"
            if not any(n["title"] == title for n in news["items"]):
                await town.call(
                    "notify",
                    "POST",
                    "/news",
                    {
                        "title": title,
                        "body": "Les inscriptions au centre de loisirs sont ouvertes sur le"
                        " portail.\n\nLes places sont limitées : pensez à valider votre panier.",
                    },
                )
                done.append("news")
    return done


def family_link_code() -> str | None:
    """The demo family's subscriber code, as `python -m family load-demo` says it."""
    out = subprocess.run(
        [sys.executable, "-m", "family", "load-demo"],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return None
    return json.loads(out.stdout)["link"]["body"]["code"]


def main() -> int:
    if os.environ.get("APP_ENV", "development") == "production":
        print("demo_town refused: APP_ENV=production", file=sys.stderr)
        return 2
    urls = {
        name: os.environ.get(f"WEB_{name.upper()}_URL", f"http://127.0.0.1:{port}")
        for name, port in (
            ("identity", 8081),
            ("family", 8082),
            ("booking", 8083),
            ("billing", 8084),
            ("notify", 8085),
        )
    }
    try:
        done = asyncio.run(set_up(urls, family_link_code()))
    except (RuntimeError, aiohttp.ClientError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("the demo town: " + ("; ".join(done) if done else "already set up"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
