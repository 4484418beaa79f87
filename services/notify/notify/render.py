"""Rendering emails: one Jinja2 template per email type, French, HTML plus plain text.

Each template defines three blocks: `subject`, `html` and `text`. The subject and the text are
rendered without HTML escaping, the HTML with it; the tenant's name, colours and contact come
from its settings (`Tenant`).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

TEMPLATES = Path(__file__).parent / "templates"

DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
DEFAULT_PRIMARY = "#1d4f91"
DEFAULT_ACCENT = "#f2a900"


@dataclasses.dataclass(frozen=True)
class Tenant:
    """What an email needs to know about its town (with defaults when nothing is configured)."""

    tenant: str
    name: str
    sender_name: str
    sender_address: str
    reply_to: str | None
    contact_service: str
    contact_email: str | None
    contact_phone: str | None
    primary_color: str
    accent_color: str
    portal_url: str
    configured: bool = False

    @classmethod
    def build(
        cls,
        tenant: str,
        row: dict[str, Any] | None,
        *,
        default_sender: str,
        default_portal_url: str,
    ) -> Tenant:
        row = dict(row or {})
        name = row.get("name") or tenant.replace("-", " ").replace("_", " ").title()
        return cls(
            tenant=tenant,
            name=name,
            sender_name=row.get("sender_name") or name,
            sender_address=row.get("sender_address") or default_sender,
            reply_to=row.get("reply_to") or row.get("contact_email") or None,
            contact_service=row.get("contact_service") or "le service Enfance de votre mairie",
            contact_email=row.get("contact_email") or None,
            contact_phone=row.get("contact_phone") or None,
            primary_color=row.get("primary_color") or DEFAULT_PRIMARY,
            accent_color=row.get("accent_color") or DEFAULT_ACCENT,
            portal_url=row.get("portal_url") or default_portal_url,
            configured=bool(row),
        )


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def parse_moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def french_datetime(value: Any, timezone: str = "Europe/Paris") -> str:
    """'mardi 25 novembre 2025 à 14 h 30' in the town's time zone."""
    moment = parse_moment(value)
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(timezone))
    day = "1er" if moment.day == 1 else str(moment.day)
    return (
        f"{DAYS[moment.weekday()]} {day} {MONTHS[moment.month - 1]} {moment.year}"
        f" à {moment.hour} h {moment.minute:02d}"
    )


def french_date(value: Any) -> str:
    """'31 août 2026' (a date, or the day of an ISO date or datetime)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def french_day(value: Any) -> str:
    """'lundi 5 janvier 2026': a calendar day (booking's days are already the town's days,
    Europe/Paris; an ISO datetime is taken at its own date)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{DAYS[value.weekday()]} {french_date(value)}"


def booking_groups(parts: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parts of a basket recap (one per booking event) gathered by child and activity,
    sorted by child then activity, each day list sorted and without repeats:
    [{child_first_name, activity_name, site, confirmed: [{date, late}], waiting: [date],
      cancelled: [{date, late}]}]."""
    items = parts.values() if isinstance(parts, dict) else parts
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for part in items:
        key = (str(part.get("child_id") or part["child_first_name"]), str(part["activity_id"]))
        group = groups.setdefault(
            key,
            {
                "child_first_name": part["child_first_name"],
                "activity_name": part["activity_name"],
                "site": part.get("site") or "",
                "confirmed": {},
                "waiting": set(),
                "cancelled": {},
            },
        )
        for day in part.get("confirmed", []):
            group["confirmed"][day["date"]] = group["confirmed"].get(day["date"]) or day["late"]
        group["waiting"].update(part.get("waiting", []))
        for day in part.get("cancelled", []):
            group["cancelled"][day["date"]] = group["cancelled"].get(day["date"]) or day["late"]

    def days(marked: dict[str, bool]) -> list[dict[str, Any]]:
        return [{"date": day, "late": late} for day, late in sorted(marked.items())]

    out = [
        {
            **group,
            "confirmed": days(group["confirmed"]),
            "waiting": sorted(group["waiting"]),
            "cancelled": days(group["cancelled"]),
        }
        for group in groups.values()
    ]
    return sorted(
        out, key=lambda g: (g["child_first_name"].casefold(), g["activity_name"].casefold())
    )


def join_fr(values: Any) -> str:
    """['Léa', 'Hugo', 'Inès'] → 'Léa, Hugo et Inès'."""
    items = [str(value) for value in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def portal_link(tenant: Tenant, *path: Any) -> str:
    """A page of the tenant's portal: portal_link(tenant, "demandes", request_id)."""
    parts = [str(part).strip("/") for part in path if str(part).strip("/")]
    return "/".join([tenant.portal_url.rstrip("/"), *parts])


class Renderer:
    def __init__(self, timezone: str = "Europe/Paris", directory: Path = TEMPLATES) -> None:
        self.timezone = timezone
        options: dict[str, Any] = {
            "loader": jinja2.FileSystemLoader(directory),
            "undefined": jinja2.StrictUndefined,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "keep_trailing_newline": False,
        }
        self.html_env = jinja2.Environment(autoescape=True, **options)
        self.text_env = jinja2.Environment(autoescape=False, **options)  # plain text: never escaped
        for env in (self.html_env, self.text_env):
            env.filters["date_fr"] = lambda v: french_datetime(v, self.timezone)
            env.filters["day_fr"] = french_date
            env.filters["weekday_fr"] = french_day
            env.filters["join_fr"] = join_fr
            env.filters["capitalize_first"] = lambda v: str(v)[:1].upper() + str(v)[1:]
            env.globals["portal_link"] = portal_link
            env.globals["booking_groups"] = booking_groups

    def templates(self) -> list[str]:
        return sorted(p.name.removesuffix(".j2") for p in TEMPLATES.glob("[a-z]*.j2"))

    def render(self, template: str, context: dict[str, Any], tenant: Tenant) -> Rendered:
        values = {**context, "tenant": tenant}
        subject = re.sub(r"\s+", " ", self._block(self.text_env, template, "subject", values))
        subject = subject.strip()
        values["subject"] = subject
        text = self._block(self.text_env, template, "text", values)
        html = self._block(self.html_env, template, "html", values)
        return Rendered(subject=subject, html=html.strip() + "\n", text=_tidy(text))

    @staticmethod
    def _block(env: jinja2.Environment, template: str, block: str, values: dict[str, Any]) -> str:
        compiled = env.get_template(f"{template}.j2")
        return "".join(compiled.blocks[block](compiled.new_context(values)))


def _tidy(text: str) -> str:
    """Plain text: no trailing spaces, at most one blank line in a row."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"
