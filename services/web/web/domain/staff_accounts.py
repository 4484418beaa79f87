"""The town's accounts as the back-office shows and edits them: the list's filters read
safely, the kinds of account an agent or an admin may create, an animator's sites, the
account form read and checked, the audit log's actions in French."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from web.domain.staff_households import ACCOUNT_STATUSES

PER_PAGE = 25  # identity caps a page at 200
TEXT_MAX = 100
EMAIL_MAX = 254

# A kind of account as the form offers it, and the roles identity gives it.
KINDS: dict[str, tuple[str, list[str]]] = {
    "famille": ("Famille", ["family"]),
    "agent": ("Agent de la mairie", ["staff"]),
    "administrateur": ("Administrateur (agent qui gère aussi les comptes)", ["admin", "staff"]),
    "animateur": ("Animateur d'un ou plusieurs sites", ["animator"]),
}
ADMIN_KINDS = ("agent", "administrateur", "animateur")  # only an admin creates these
# The list's role filter: the word in the URL and identity's role.
ROLE_FILTERS: dict[str, tuple[str, str]] = {
    "famille": ("Famille", "family"),
    "agent": ("Agent", "staff"),
    "administrateur": ("Administrateur", "admin"),
    "animateur": ("Animateur", "animator"),
}
ROLE_LABELS: dict[str, str] = {
    "family": "Famille",
    "staff": "Agent",
    "admin": "Administrateur",
    "animator": "Animateur",
}
STATUS_FILTERS: dict[str, tuple[str, str]] = {
    "actif": (ACCOUNT_STATUSES["active"], "active"),
    "invite": (ACCOUNT_STATUSES["invited"], "invited"),
    "en-attente": (ACCOUNT_STATUSES["pending"], "pending"),
    "desactive": (ACCOUNT_STATUSES["disabled"], "disabled"),
}
MODES: dict[str, str] = {
    "invitation": "Envoyer une invitation par courriel",
    "temporary_password": "Donner un mot de passe provisoire",
}
ACTIONS: dict[str, str] = {
    "account_created": "Compte créé",
    "account_updated": "Compte modifié",
    "account_disabled": "Compte désactivé",
    "account_enabled": "Compte réactivé",
    "temporary_password_given": "Mot de passe provisoire donné",
    "login_succeeded": "Connexion",
    "login_failed": "Échec de connexion",
    "login_refused_locked": "Connexion refusée (compte bloqué)",
    "account_locked": "Compte bloqué après des échecs",
    "logout": "Déconnexion",
    "password_changed": "Mot de passe changé",
    "password_reset": "Mot de passe réinitialisé",
    "password_check_failed": "Mot de passe erroné",
    "refresh_token_reused": "Session interrompue (jeton réutilisé)",
    "account_activated": "Compte activé",
    "invitation_accepted": "Invitation acceptée",
    "email_changed": "Adresse e-mail changée",
    "terms_accepted": "Conditions d'utilisation acceptées",
    "household_linked": "Foyer rattaché",
    "household_switched": "Passage à un autre foyer",
    "household_anonymised": "Foyer anonymisé",
    "tenant_updated": "Paramètres de la collectivité modifiés",
}


def page_of(query: Mapping[str, str]) -> int:
    """A missing or nonsensical page is the first."""
    try:
        page = int(str(query.get("page", "1")))
    except ValueError:
        page = 1
    return min(max(page, 1), 10_000)


@dataclass(frozen=True)
class AccountsSearch:
    """The list's search text, role, status and page (unknown values are no filter)."""

    text: str = ""
    role: str = ""
    status: str = ""
    page: int = 1

    @property
    def params(self) -> dict[str, str]:
        found = {"limit": str(PER_PAGE), "offset": str((self.page - 1) * PER_PAGE)}
        if self.text:
            found["q"] = self.text
        if self.role:
            found["role"] = ROLE_FILTERS[self.role][1]
        if self.status:
            found["status"] = STATUS_FILTERS[self.status][1]
        return found

    def link(self, page: int) -> dict[str, str]:
        """The query of another page of the same search."""
        found = {"q": self.text, "role": self.role, "statut": self.status, "page": str(page)}
        return {k: v for k, v in found.items() if v}


def read_search(query: Mapping[str, str]) -> AccountsSearch:
    text = " ".join(str(query.get("q", "")).split())[:TEXT_MAX]
    role = str(query.get("role", ""))
    status = str(query.get("statut", ""))
    return AccountsSearch(
        text=text,
        role=role if role in ROLE_FILTERS else "",
        status=status if status in STATUS_FILTERS else "",
        page=page_of(query),
    )


def roles_label(roles: Iterable[str]) -> str:
    """« Administrateur, Agent »: an admin is also an agent, said in that order."""
    order = ("admin", "staff", "animator", "family")
    found = [r for r in order if r in roles] + [r for r in roles if r not in order]
    return ", ".join(ROLE_LABELS.get(r, r) for r in found)


def kind_of(roles: Iterable[str]) -> str:
    """The form's kind for an account's roles (the nearest: admin wins)."""
    given = set(roles)
    if "admin" in given:
        return "administrateur"
    if "staff" in given:
        return "agent"
    if "animator" in given:
        return "animateur"
    return "famille"


def kinds_for(admin: bool) -> list[tuple[str, str]]:
    """The kinds of account the person may create: families for an agent, all for an admin."""
    return [(k, label) for k, (label, _) in KINDS.items() if admin or k not in ADMIN_KINDS]


def sites_of(activities: Iterable[Mapping[str, Any]]) -> list[str]:
    """The town's sites: the distinct, non-empty `site` of its activities, sorted."""
    found = {str(a.get("site") or "").strip() for a in activities}
    return sorted((s for s in found if s), key=str.casefold)


@dataclass(frozen=True)
class AccountForm:
    """The new account's form as typed (shown again with its errors)."""

    email: str = ""
    display_name: str = ""
    kind: str = "famille"
    sites: tuple[str, ...] = ()
    mode: str = "invitation"

    @property
    def roles(self) -> list[str]:
        return list(KINDS[self.kind][1]) if self.kind in KINDS else []

    def body(self) -> dict[str, Any]:
        """What identity's POST /accounts takes."""
        return {
            "email": self.email,
            "display_name": self.display_name,
            "roles": self.roles,
            "sites": list(self.sites) if self.kind == "animateur" else [],
            "mode": self.mode,
        }


def read_account_form(form: Mapping[str, Any], getall: Iterable[Any]) -> AccountForm:
    """`getall`: every `sites` value of the form (checkboxes)."""
    return AccountForm(
        email=str(form.get("email", "")).strip()[:EMAIL_MAX],
        display_name=" ".join(str(form.get("display_name", "")).split())[:200],
        kind=str(form.get("kind", "")),
        sites=tuple(dict.fromkeys(str(s).strip() for s in getall if str(s).strip())),
        mode=str(form.get("mode", "")),
    )


@dataclass(frozen=True)
class Checked:
    """What the page says before asking identity (which checks again)."""

    fields: dict[str, str] = field(default_factory=dict)


def check_account_form(form: AccountForm, *, admin: bool, known_sites: Iterable[str]) -> Checked:
    """The mistakes the form can tell at once, in the words next to each field."""
    errors: dict[str, str] = {}
    if not form.email:
        errors["email"] = "Indiquez l'adresse e-mail de la personne."
    if not form.display_name:
        errors["display_name"] = "Indiquez le nom affiché du compte."
    if form.kind not in KINDS:
        errors["kind"] = "Choisissez le type de compte."
    elif form.kind in ADMIN_KINDS and not admin:
        errors["kind"] = "Seul un administrateur peut créer ce type de compte."
    if form.kind == "animateur":
        if not form.sites:
            errors["sites"] = "Cochez au moins un site pour un animateur."
        elif set(form.sites) - set(known_sites):
            errors["sites"] = "Choisissez parmi les sites de la commune."
    if form.mode not in MODES:
        errors["mode"] = "Choisissez comment la personne recevra son mot de passe."
    return Checked(errors)


@dataclass(frozen=True)
class RolesForm:
    """An admin's change of an account's kind and sites."""

    kind: str
    sites: tuple[str, ...]

    def body(self) -> dict[str, Any]:
        return {
            "roles": list(KINDS[self.kind][1]),
            "sites": list(self.sites) if self.kind == "animateur" else [],
        }


def read_roles_form(form: Mapping[str, Any], getall: Iterable[Any]) -> RolesForm:
    return RolesForm(
        kind=str(form.get("kind", "")),
        sites=tuple(dict.fromkeys(str(s).strip() for s in getall if str(s).strip())),
    )


def check_roles_form(form: RolesForm, *, known_sites: Iterable[str]) -> dict[str, str]:
    if form.kind not in KINDS:
        return {"kind": "Choisissez le type de compte."}
    if form.kind == "animateur":
        if not form.sites:
            return {"sites": "Cochez au moins un site pour un animateur."}
        if set(form.sites) - set(known_sites):
            return {"sites": "Choisissez parmi les sites de la commune."}
    return {}


@dataclass(frozen=True)
class JournalSearch:
    email: str = ""
    page: int = 1

    @property
    def params(self) -> dict[str, str]:
        found = {"limit": str(PER_PAGE), "offset": str((self.page - 1) * PER_PAGE)}
        if self.email:
            found["email"] = self.email
        return found

    def link(self, page: int) -> dict[str, str]:
        found = {"courriel": self.email, "page": str(page)}
        return {k: v for k, v in found.items() if v}


def read_journal(query: Mapping[str, str]) -> JournalSearch:
    email = str(query.get("courriel", "")).strip().lower()[:EMAIL_MAX]
    return JournalSearch(email=email, page=page_of(query))


def action_label(action: str) -> str:
    return ACTIONS.get(action, action.replace("_", " ").capitalize())


def entry_details(entry: Mapping[str, Any]) -> str:
    """An audit entry's details in words (roles and sites changed, mode of creation); the
    technical rest (counters) is left out."""
    details = entry.get("details") or {}
    said: list[str] = []
    if isinstance(details.get("roles"), list):
        said.append(f"rôles : {roles_label(details['roles'])}")
    elif isinstance(details.get("roles"), dict):
        change = details["roles"]
        said.append(
            f"rôles : {roles_label(change.get('before') or [])}"
            f" → {roles_label(change.get('after') or [])}"
        )
    sites = details.get("sites")
    if isinstance(sites, list) and sites:
        said.append(f"sites : {', '.join(map(str, sites))}")
    elif isinstance(sites, dict):
        before = ", ".join(map(str, sites.get("before") or [])) or "aucun"
        after = ", ".join(map(str, sites.get("after") or [])) or "aucun"
        said.append(f"sites : {before} → {after}")
    if isinstance(details.get("display_name"), dict):
        said.append(f"nom : {details['display_name'].get('after', '')}")
    if details.get("mode") in MODES:
        said.append(
            "par invitation" if details["mode"] == "invitation" else "mot de passe provisoire"
        )
    return " ; ".join(said)
