"""The communication back-office in the agents' words: news states, email statuses, the week
of a menu and its form, the news and page forms read into what notify takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# notify's news states (NewsOut.state) as an agent says them.
NEWS_STATES = {
    "scheduled": "Programmée",
    "current": "Publiée",
    "expired": "Expirée",
    "unpublished": "Retirée",
}
# notify's email statuses (EmailOut.status).
EMAIL_STATUSES = {"queued": "En attente d'envoi", "sent": "Envoyé", "failed": "Échec"}
# notify's menu fields of a day, in the order of a meal.
MENU_FIELDS = (
    ("starter", "Entrée"),
    ("main", "Plat"),
    ("dessert", "Dessert"),
    ("snack", "Goûter"),
    ("text", "Texte libre (ex. « Pas de cantine : jour férié »)"),
    ("allergens", "Allergènes"),
)
WEEKDAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
SCHOOL_DAYS = 5  # the form shows Monday to Friday
EMAILS_PER_PAGE = 25


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_wanted(text: str | None, today: date) -> date:
    """The week asked for in the URL (any of its days, AAAA-MM-JJ), this week otherwise."""
    try:
        return monday_of(date.fromisoformat((text or "").strip()))
    except ValueError:
        return monday_of(today)


@dataclass(frozen=True)
class MenuForm:
    """The week's menu as the form shows it: one row of fields per school day."""

    week_start: date
    days: list[dict[str, Any]]
    remarks: str

    def payload(self) -> dict[str, Any]:
        """notify's MenuIn: the days with something written, the others left out."""
        days = []
        for day in self.days:
            values = {name: day[name] for name, _ in MENU_FIELDS if day.get(name)}
            if values:
                days.append({"date": day["date"].isoformat(), **values})
        return {"days": days, "remarks": self.remarks or None}


def menu_form(week_start: date, stored: Mapping[str, Any] | None) -> MenuForm:
    """The form filled from notify's MenuWeekOut (empty for a week without menu)."""
    by_date = {str(d.get("date")): d for d in (stored or {}).get("days") or []}
    days = []
    for offset in range(SCHOOL_DAYS):
        day = week_start + timedelta(days=offset)
        found = by_date.get(day.isoformat(), {})
        days.append(
            {
                "date": day,
                "index": offset,
                "weekday": WEEKDAYS[offset],
                **{name: found.get(name) or "" for name, _ in MENU_FIELDS},
            }
        )
    return MenuForm(week_start, days, (stored or {}).get("remarks") or "")


def read_menu_form(week_start: date, form: Mapping[str, Any]) -> MenuForm:
    """The posted menu form: fields `jour-{n}-{field}`, trimmed."""
    days = []
    for offset in range(SCHOOL_DAYS):
        days.append(
            {
                "date": week_start + timedelta(days=offset),
                "index": offset,
                "weekday": WEEKDAYS[offset],
                **{
                    name: str(form.get(f"jour-{offset}-{name}", "")).strip()
                    for name, _ in MENU_FIELDS
                },
            }
        )
    return MenuForm(week_start, days, str(form.get("remarks", "")).strip())


def menu_errors(problem: Mapping[str, Any] | None) -> dict[str, str]:
    """notify's errors on `days.{i}.{field}` (i: among the days sent) put next to the form's
    field of that day; `remarks` as is."""
    found: dict[str, str] = {}
    for error in (problem or {}).get("errors") or []:
        parts = str(error.get("field", "")).split(".")
        detail = str(error.get("detail") or "")
        if parts[0] == "remarks":
            found.setdefault("remarks", detail)
        elif parts[0] == "days" and len(parts) >= 3 and parts[1].isdigit():
            found.setdefault(f"days.{parts[1]}.{parts[2]}", detail)
        elif parts[0] == "days":
            found.setdefault("days", detail)
    return found


def day_errors(errors: dict[str, str], form: MenuForm) -> dict[str, str]:
    """notify numbers the days it was sent; the form's fields are numbered by weekday."""
    sent = [d for d in form.days if any(d.get(name) for name, _ in MENU_FIELDS)]
    mapped: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "days" and len(parts) == 3 and int(parts[1]) < len(sent):
            mapped[f"jour-{sent[int(parts[1])]['index']}-{parts[2]}"] = message
        else:
            mapped[parts[0]] = message
    return mapped


@dataclass(frozen=True)
class NewsForm:
    title: str = ""
    body: str = ""
    activity_id: str = ""
    publish_from: str = ""
    publish_until: str = ""

    def fields(self, *, before: NewsForm | None = None) -> dict[str, Any]:
        """notify's NewsIn; with `before` (the stored news' form), its NewsPatch: the dates
        only when changed (a day typed again would move a window set to the minute), an
        emptied one cleared."""
        data: dict[str, Any] = {"title": self.title, "body": self.body}
        for name in ("activity_id", "publish_from", "publish_until"):
            value = getattr(self, name)
            if before is None:
                if value:
                    data[name] = value
            elif name == "activity_id" or value != getattr(before, name):
                data[name] = value or None
        if before is not None and data.get("publish_from", "") is None:
            del data["publish_from"]  # notify has no "no start": the one it has stays
        return data


def read_news_form(form: Mapping[str, Any]) -> NewsForm:
    return NewsForm(
        title=str(form.get("title", "")).strip(),
        body=str(form.get("body", "")).replace("\r\n", "\n").strip(),
        activity_id=str(form.get("activity_id", "")).strip(),
        publish_from=str(form.get("publish_from", "")).strip(),
        publish_until=str(form.get("publish_until", "")).strip(),
    )


def news_form_of(news: Mapping[str, Any], timezone: str = "Europe/Paris") -> NewsForm:
    """A stored news in its form, its window's instants as the town's days."""

    def day(value: Any) -> str:
        if not value:
            return ""
        moment = datetime.fromisoformat(str(value))
        if moment.tzinfo is not None:
            moment = moment.astimezone(ZoneInfo(timezone))
        return moment.date().isoformat()

    return NewsForm(
        title=news.get("title") or "",
        body=news.get("body") or "",
        activity_id=str(news.get("activity_id") or ""),
        publish_from=day(news.get("publish_from")),
        publish_until=day(news.get("publish_until")),
    )


def news_counts(items: list[Mapping[str, Any]]) -> dict[str, int]:
    """How many news in each state (the overview's counts)."""
    counts = dict.fromkeys(NEWS_STATES, 0)
    for item in items:
        state = str(item.get("state"))
        if state in counts:
            counts[state] += 1
    return counts


def activity_names(activities: list[Mapping[str, Any]]) -> dict[str, str]:
    return {str(a["id"]): f"{a['name']} ({a['site']})" for a in activities}


@dataclass(frozen=True)
class EmailSearch:
    recipient: str
    status: str
    page: int

    @property
    def params(self) -> dict[str, str]:
        params = {
            "limit": str(EMAILS_PER_PAGE),
            "offset": str((self.page - 1) * EMAILS_PER_PAGE),
        }
        if self.recipient:
            params["recipient"] = self.recipient
        if self.status:
            params["status"] = self.status
        return params

    def link(self, page: int) -> dict[str, str]:
        """The query of another page of the same search."""
        query = {"page": str(page)}
        if self.recipient:
            query["destinataire"] = self.recipient
        if self.status:
            query["statut"] = self.status
        return query


def read_email_search(query: Mapping[str, str]) -> EmailSearch:
    status = query.get("statut", "")
    try:
        page = max(1, min(int(query.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    return EmailSearch(
        recipient=query.get("destinataire", "").strip()[:254],
        status=status if status in EMAIL_STATUSES else "",
        page=page,
    )


def page_missing(values: Mapping[str, str]) -> dict[str, str]:
    """What an information page's form lacks, said before asking notify."""
    missing = {
        name: message
        for name, message in (
            ("slug", "Indiquez l'adresse de la page (ex. tarifs-2026)."),
            ("title", "Indiquez le titre de la page."),
            ("body", "Écrivez le texte de la page."),
        )
        if not values.get(name)
    }
    try:
        int(values.get("position") or "0")
    except ValueError:
        missing["position"] = "Indiquez un nombre entier (ex. 10)."
    return missing


def file_size(size: int) -> str:
    """A size as a French reader says it (Ko, Mo)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} Ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")
