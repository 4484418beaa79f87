"""The household import's pure logic: the columns explained, the template file, the upload
checked, and the family service's report in words (counts, lines in error first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # the gateway's and the portal's body limit
KEPT_MINUTES = 60  # an uploaded file waits this long for its import

# (column, required, what it holds): family's household_csv columns, in French.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("reference", "oui", "Numéro du foyer dans l'ancien fichier de la commune"),
    ("adresse", "oui", "Numéro et rue"),
    ("complement_adresse", "non", "Bâtiment, appartement…"),
    ("code_postal", "oui", "5 chiffres"),
    ("ville", "oui", "Commune"),
    ("telephone", "non", "Téléphone du foyer"),
    ("responsable1_nom", "oui", "Nom du premier responsable légal"),
    ("responsable1_prenom", "oui", "Prénom du premier responsable légal"),
    ("responsable1_naissance", "non", "Date de naissance (JJ/MM/AAAA)"),
    ("responsable1_lien", "non", "mère, père, tuteur ou autre"),
    ("responsable1_email", "non", "Courriel (sert à repérer un foyer déjà connu)"),
    ("responsable1_telephone", "non", "Téléphone"),
    ("responsable1_employeur", "non", "Employeur"),
    ("responsable2_…", "non", "Les mêmes colonnes pour un second responsable"),
    ("enfant_nom", "pour un enfant", "Nom de l'enfant"),
    ("enfant_prenom", "pour un enfant", "Prénom de l'enfant"),
    ("enfant_naissance", "pour un enfant", "Date de naissance (JJ/MM/AAAA)"),
    ("enfant_sexe", "non", "F ou M"),
    ("enfant_ecole", "non", "École"),
    ("enfant_classe", "non", "Classe (CP, CE1…)"),
    ("enfant_regime", "non", "standard, sans porc, végétarien, sans viande, menu allergie"),
    ("enfant_droit_image", "non", "oui ou non"),
)

TEMPLATE_HEADER = (
    "reference",
    "adresse",
    "complement_adresse",
    "code_postal",
    "ville",
    "telephone",
    "responsable1_nom",
    "responsable1_prenom",
    "responsable1_lien",
    "responsable1_email",
    "responsable2_nom",
    "responsable2_prenom",
    "responsable2_lien",
    "responsable2_email",
    "enfant_nom",
    "enfant_prenom",
    "enfant_naissance",
    "enfant_sexe",
    "enfant_classe",
    "enfant_regime",
    "enfant_droit_image",
)
TEMPLATE_ROWS = (
    (
        "F001", "3 rue du Lac", "", "74330", "Epagny", "04 50 00 00 01", "Martin", "Claire",
        "mère", "claire.martin@example.fr", "Martin", "Hugo", "père", "", "Martin", "Léa",
        "03/09/2016", "F", "CM1", "sans porc", "oui",
    ),
    (
        "F001", "", "", "", "", "", "", "", "", "", "", "", "", "", "Martin", "Tom",
        "20/01/2019", "M", "GS", "", "non",
    ),
)  # fmt: skip

FIELD_LABELS = {"_line": "ligne entière", "_file": "fichier"}
STATUSES = {
    "invalid": "En erreur",
    "existing": "Déjà au fichier",
    "valid": "Valide",
}
ORDER = {"invalid": 0, "existing": 1, "valid": 2}


def template_csv() -> bytes:
    """The template: `;` separated, UTF-8 with a BOM so that Excel opens it with accents."""
    lines = [";".join(TEMPLATE_HEADER), *(";".join(row) for row in TEMPLATE_ROWS)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def upload_problem(filename: str | None, content: bytes | None) -> str | None:
    """Why the chosen file cannot be sent (French), None when it can."""
    if not filename or content is None:
        return "Choisissez le fichier CSV des foyers."
    if not content.strip():
        return "Le fichier choisi est vide."
    if len(content) > MAX_UPLOAD_BYTES:
        return "Le fichier est trop volumineux (8 Mo au plus) : découpez-le."
    if not filename.lower().endswith((".csv", ".txt")):
        return "Le fichier doit être au format CSV (extension .csv)."
    return None


@dataclass(frozen=True)
class Summary:
    lines: int
    valid: int
    errors: int
    duplicates: int
    households: int
    children: int


def summary(report: dict[str, Any]) -> Summary:
    """The counts shown above the lines: lines of the file, valid ones, those in error,
    those of a household already in the town's file."""
    lines = report.get("lines") or []
    return Summary(
        lines=len(lines),
        valid=sum(1 for line in lines if line.get("status") == "valid"),
        errors=sum(1 for line in lines if line.get("status") == "invalid"),
        duplicates=sum(1 for line in lines if line.get("status") == "existing"),
        households=int(report.get("households") or 0),
        children=int(report.get("children") or 0),
    )


def ordered_lines(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines in error first, then the households already known, then the valid ones,
    each group in the file's order."""
    lines = report.get("lines") or []
    return sorted(lines, key=lambda line: (ORDER.get(line.get("status", ""), 3), line["line"]))


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def skipped_lines(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The lines an import left out (in error or already known), in the file's order."""
    return [line for line in report.get("lines") or [] if line.get("status") != "valid"]


def file_problems(problem: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The family service's refusal of the whole file: its errors (line, column, message)."""
    return list((problem or {}).get("errors") or [])
