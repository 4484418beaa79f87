"""Rendering emails: one Jinja2 template per email type, French, HTML plus plain text.

Each template defines three blocks: `subject`, `html` and `text`. The subject and the text are
rendered without HTML escaping, the HTML with it; the tenant's name, colours and contact come
from its settings (`Tenant`).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import jinja2

from notify.domain.activity_emails import release_reason
from notify.domain.french import (
    euros,
    french_date,
    french_datetime,
    french_day,
    join_fr,
    parse_moment,
)
from notify.domain.tenants import Tenant

TEMPLATES = Path(__file__).parent / "templates"


@dataclasses.dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def booking_groups(parts: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parts of a basket recap (one per booking event) gathered by child and activity,
    sorted by child then activity, each day list sorted and without repeats:
    [{child_first_name, activity_name, site, confirmed: [{date, late}], waiting: [date],
      cancelled: [{date, late}], payment, payment_due_at}] (`payment`: how the confirmed
    days are paid, `invoice` unless held until paid at booking or from the wallet;
    `payment_due_at`: the earliest time they must be paid by, at booking)."""
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
                "payment": "invoice",
                "payment_due_at": None,
            },
        )
        if part.get("payment") and part["payment"] != "invoice":
            group["payment"] = part["payment"]
        due = part.get("payment_due_at")
        if due and (group["payment_due_at"] is None or _earlier(due, group["payment_due_at"])):
            group["payment_due_at"] = due
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


def _earlier(a: str, b: str) -> bool:
    first, second = parse_moment(a), parse_moment(b)
    return first is not None and second is not None and first < second


def basket_payment(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """What the recap's family has to pay, from its groups (`booking_groups`): the groups
    whose confirmed days are held until paid at booking, the earliest time they are due, and
    those paid from the wallet."""
    at_booking = [g for g in groups if g["confirmed"] and g["payment"] == "at_booking"]
    wallet = [g for g in groups if g["confirmed"] and g["payment"] == "wallet"]
    due = None
    for group in at_booking:
        when = group["payment_due_at"]
        if when and (due is None or _earlier(when, due)):
            due = when
    return {"at_booking": at_booking, "due_at": due, "wallet": wallet}


def released_groups(parts: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parts of a basket's released days (one per booking.BookingHoldReleased) gathered
    by child, activity and reason, sorted, each day once:
    [{child_first_name, activity_name, site, reason, days: [{date, late}]}]."""
    items = parts.values() if isinstance(parts, dict) else parts
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for part in items:
        key = (
            str(part.get("child_id") or part["child_first_name"]),
            str(part["activity_id"]),
            str(part["reason"]),
        )
        group = groups.setdefault(
            key,
            {
                "child_first_name": part["child_first_name"],
                "activity_name": part["activity_name"],
                "site": part.get("site") or "",
                "reason": part["reason"],
                "days": {},
            },
        )
        for day in part.get("released", []):
            group["days"][day["date"]] = group["days"].get(day["date"]) or day["late"]
    out = [
        {
            **group,
            "days": [{"date": day, "late": late} for day, late in sorted(group["days"].items())],
        }
        for group in groups.values()
    ]
    return sorted(
        out,
        key=lambda g: (g["child_first_name"].casefold(), g["activity_name"].casefold()),
    )


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
            env.filters["euros"] = euros
            env.filters["capitalize_first"] = lambda v: str(v)[:1].upper() + str(v)[1:]
            env.globals["portal_link"] = portal_link
            env.globals["booking_groups"] = booking_groups
            env.globals["basket_payment"] = basket_payment
            env.globals["released_groups"] = released_groups
            env.filters["release_reason_fr"] = release_reason

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
