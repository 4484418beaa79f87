"""The town's existing household file as CSV: parse, check every line, build households.

Nothing here touches the database: `parse` returns either the households to create or every
problem found (line, column, French message), so the import (`usecases.importing`) writes
all or nothing.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError

from family.domain import codes
from family.schemas import AddressIn, ChildIn, GuardianIn, _phones
from shared.errors import flatten, translate

MAX_ROWS = 5000

HOUSEHOLD_COLUMNS = {
    "adresse": "line1",
    "complement_adresse": "line2",
    "code_postal": "postal_code",
    "ville": "city",
}
GUARDIAN_COLUMNS = {
    "nom": "last_name",
    "prenom": "first_name",
    "naissance": "birth_date",
    "lien": "relationship",
    "email": "email",
    "telephone": "phones",
    "employeur": "employer",
}
CHILD_COLUMNS = {
    "nom": "last_name",
    "prenom": "first_name",
    "naissance": "birth_date",
    "sexe": "sex",
    "ecole": "school",
    "classe": "grade",
    "regime": "diet",
    "droit_image": "image_rights",
}
GUARDIANS = ("responsable1", "responsable2")
REQUIRED = (
    "reference",
    "adresse",
    "code_postal",
    "ville",
    "responsable1_nom",
    "responsable1_prenom",
)
COLUMNS: tuple[str, ...] = (
    "reference",
    *HOUSEHOLD_COLUMNS,
    "telephone",
    *(f"{g}_{c}" for g in GUARDIANS for c in GUARDIAN_COLUMNS),
    *(f"enfant_{c}" for c in CHILD_COLUMNS),
)
# Columns that describe the household (the same on every line of a reference).
SHARED = tuple(c for c in COLUMNS if not c.startswith("enfant_") and c != "reference")

RELATIONSHIPS = {
    "mere": "mother",
    "mother": "mother",
    "pere": "father",
    "father": "father",
    "tuteur": "guardian",
    "tutrice": "guardian",
    "guardian": "guardian",
    "autre": "other",
    "other": "other",
}
DIETS = {
    "standard": "standard",
    "": "standard",
    "sans porc": "no_pork",
    "no_pork": "no_pork",
    "vegetarien": "vegetarian",
    "vegetarienne": "vegetarian",
    "vegetarian": "vegetarian",
    "sans viande": "no_meat",
    "no_meat": "no_meat",
    "menu allergie": "allergy_menu",
    "allergie": "allergy_menu",
    "allergy_menu": "allergy_menu",
}
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
NO = {"non", "n", "no", "0", "false", "faux", ""}

DESCRIPTION = (
    "CSV body (`Content-Type: text/csv`), UTF-8 (a BOM is accepted) or Windows-1252 (Excel's "
    "plain CSV), fields separated by `;` "
    "or `,` (detected from the header line). First line: the column names below, in any "
    "order, case and accents ignored. One line per child; a household without children is one "
    "line with the `enfant_*` columns empty. Lines with the same `reference` (the number in "
    "the town's old file) form one household: its address, phone and guardian columns are "
    "read from its first line, and later lines must leave them empty or repeat them.\n\n"
    "| column | required | content |\n|---|---|---|\n"
    "| `reference` | yes | the household's number in the town's file |\n"
    "| `adresse`, `complement_adresse`, `code_postal`, `ville` | yes (except complement) "
    "| address; postal code of 5 digits |\n"
    "| `telephone` | no | the household's phone |\n"
    "| `responsable1_nom`, `responsable1_prenom` | yes | first guardian |\n"
    "| `responsable1_naissance`, `_lien`, `_email`, `_telephone`, `_employeur` | no | birth "
    "date (JJ/MM/AAAA or AAAA-MM-JJ), `mère`/`père`/`tuteur`/`autre`, email, phone, employer |\n"
    "| `responsable2_*` | no | the same for a second guardian (all empty: none) |\n"
    "| `enfant_nom`, `enfant_prenom`, `enfant_naissance` | for a child | identity, birth date |\n"
    "| `enfant_sexe`, `enfant_ecole`, `enfant_classe` | no | `F`/`M`, school, grade |\n"
    "| `enfant_regime` | no | `standard`, `sans porc`, `végétarien`, `sans viande`, "
    "`menu allergie` |\n"
    "| `enfant_droit_image` | no | `oui`/`non` |\n\n"
    f"At most {MAX_ROWS} lines. Every line is checked first: any problem answers 422 with "
    "`errors` listing each line, column and a French message, and nothing is written; with "
    "`skip_invalid=true` the households with a problem on one of their lines are left out "
    "and listed in `invalid`, the others imported (a problem of the header always refuses). "
    "With `dry_run=true` nothing is written: the answer (200) is the report of what the "
    "import would do, with every line's status (`lines`). "
    "Otherwise all households are created in one transaction, each with a new subscriber code. "
    "A household the town's file already has (a child with the same names, accents and case "
    "aside, and birth date, or a guardian with the same email) answers 409 `import-existing` "
    "with each person found and the subscriber code of the household they are in, and nothing "
    "is written; with `existing=skip`, those households are left out and listed in `skipped`. "
    "A person twice in the file (the same child, or the same guardian email) is a problem of "
    "the file (422)."
)


@dataclass
class ImportedHousehold:
    reference: str
    line: int
    address: dict[str, Any]
    phones: list[str]
    guardians: list[dict[str, Any]] = field(default_factory=list)
    children: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.lines:
            self.lines = [self.line]


@dataclass
class Problems:
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, line: int, column: str, detail: str) -> None:
        self.items.append({"line": line, "field": column, "detail": detail})


def already_known(
    households: list[ImportedHousehold],
    children: list[dict[str, Any]],
    guardians: list[dict[str, Any]],
) -> dict[int, list[dict[str, Any]]]:
    """The imported households (by index) that the town's file already has: a child with the
    same names (accents and case aside) and birth date, or a guardian with the same email.
    For each, one problem per person found, naming the household it is in."""
    by_child = {(_key(c["first_name"]), _key(c["last_name"]), c["birth_date"]): c for c in children}
    by_email = {g["email"]: g for g in guardians}
    found: dict[int, list[dict[str, Any]]] = {}
    for index, item in enumerate(households):
        for child in item.children:
            known = by_child.get(
                (_key(child["first_name"]), _key(child["last_name"]), child["birth_date"])
            )
            if known:
                who = f"{child['first_name']} {child['last_name']}"
                born = child["birth_date"].strftime("%d/%m/%Y")
                found.setdefault(index, []).append(
                    _known(item, "enfant_prenom", f"{who}, né(e) le {born}", known)
                )
        for number, guardian in enumerate(item.guardians, start=1):
            known = by_email.get((guardian.get("email") or "").lower())
            if known:
                found.setdefault(index, []).append(
                    _known(item, f"responsable{number}_email", guardian["email"], known)
                )
    return found


def _known(item: ImportedHousehold, column: str, who: str, known: dict[str, Any]) -> dict[str, Any]:
    code = codes.display(known["subscriber_code"])
    return {
        "line": item.line,
        "field": column,
        "detail": f"{who} : déjà au dossier famille {code}.",
        "household_id": str(known["household_id"]),
        "subscriber_code": code,
    }


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _date(text: str) -> str:
    match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day).isoformat()
        except ValueError:
            return text
    return text


def decode(raw: bytes) -> str:
    """The body as text: UTF-8 (with or without BOM), else Windows-1252 (what Excel writes
    as « CSV (séparateur : point-virgule) »); raises UnicodeDecodeError (neither)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


@dataclass
class Examination:
    """Every line of the file checked: the households read without problem, every problem,
    and each data line with the household (reference) it belongs to."""

    households: list[ImportedHousehold]
    problems: list[dict[str, Any]]
    rows: list[dict[str, Any]]

    @property
    def file_problems(self) -> list[dict[str, Any]]:
        """Problems of the file as a whole (header, size): no household can be imported."""
        return [p for p in self.problems if p["line"] == 1 or p["field"] == "_file"]

    def invalid_references(self) -> set[str]:
        """References whose household has a problem on one of its lines."""
        by_line = {r["line"]: r["reference"] for r in self.rows}
        return {by_line[p["line"]] for p in self.problems if by_line.get(p["line"])}

    def valid(self) -> list[ImportedHousehold]:
        if self.file_problems:
            return []
        invalid = self.invalid_references()
        return [h for h in self.households if h.reference not in invalid]


def parse(text: str) -> tuple[list[ImportedHousehold], list[dict[str, Any]]]:
    """The households of the file, or ([], every problem)."""
    examined = examine(text)
    if examined.problems:
        return [], examined.problems
    return examined.households, []


def examine(text: str) -> Examination:
    """Check every line; see `Examination`."""
    problems = Problems()
    rows: list[dict[str, Any]] = []
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        problems.add(
            1, "_file", "Le fichier est vide : la première ligne doit nommer les colonnes."
        )
        return Examination([], problems.items, rows)
    header_line = lines[0]
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [_key(h) for h in next(reader)]
    for position, name in enumerate(header, start=1):
        if name not in COLUMNS:
            problems.add(1, name or f"colonne {position}", "Colonne inconnue.")
        elif header.count(name) > 1:
            problems.add(1, name, "Colonne présente plusieurs fois.")
    for name in REQUIRED:
        if name not in header:
            problems.add(1, name, "Colonne obligatoire absente.")
    if problems.items:
        return Examination([], _dedupe(problems.items), rows)

    households: dict[str, ImportedHousehold] = {}
    first_values: dict[str, dict[str, str]] = {}
    failed: set[str] = set()
    # Each person once in the file: where a child (names and birth date) or an email was seen.
    seen: dict[Any, int] = {}

    def once(key: Any, line: int, column: str) -> None:
        if key in seen:
            problems.add(
                line,
                column,
                f"Déjà à la ligne {seen[key]} du fichier : une même personne ne peut figurer"
                " qu'une fois.",
            )
        else:
            seen[key] = line

    count = 0
    position = header.index("reference")
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        count += 1
        if count > MAX_ROWS:
            problems.add(line, "_file", f"Le fichier dépasse {MAX_ROWS} lignes : découpez-le.")
            break
        entry: dict[str, Any] = {"line": line, "reference": "", "child": None, "guardian": None}
        rows.append(entry)
        if len(row) != len(header):
            # Its reference, when readable, marks its household as incomplete.
            entry["reference"] = row[position].strip() if position < len(row) else ""
            problems.add(
                line,
                "_line",
                f"La ligne a {len(row)} champs au lieu de {len(header)} "
                f"(séparateur attendu : « {delimiter} »).",
            )
            continue
        values = {name: cell.strip() for name, cell in zip(header, row, strict=True)}
        reference = values.get("reference", "")
        entry["reference"] = reference
        # The names as written, for the report of a line whose household is in error.
        guardian = f"{values.get('responsable1_prenom', '')} {values.get('responsable1_nom', '')}"
        entry["guardian"] = guardian.strip() or None
        if values.get("enfant_prenom") or values.get("enfant_nom"):
            entry["child"] = f"{values.get('enfant_prenom', '')} {values.get('enfant_nom', '')}"
        if not reference:
            problems.add(line, "reference", "Ce champ est obligatoire.")
            continue
        household = households.get(reference)
        if reference in failed:
            _child(values, line, problems)  # its household was reported on its first line
            continue
        if household is None:
            household = _household(values, line, problems)
            if household is None:
                failed.add(reference)
                _child(values, line, problems)
                continue
            households[reference] = household
            first_values[reference] = values
            for number, guardian in enumerate(household.guardians, start=1):
                if guardian.get("email"):
                    once(guardian["email"].lower(), line, f"responsable{number}_email")
        else:
            household.lines.append(line)
            first = first_values[reference]
            for name in SHARED:
                if values.get(name) and values[name] != first.get(name, ""):
                    problems.add(
                        line,
                        name,
                        f"Différent de la ligne {household.line} pour la même référence "
                        f"« {reference} » : laissez vide ou reprenez la même valeur.",
                    )
        child = _child(values, line, problems)
        if child is not None:
            once(
                (_key(child["first_name"]), _key(child["last_name"]), child["birth_date"]),
                line,
                "enfant_prenom",
            )
            household.children.append(child)
    if not rows and not problems.items:
        problems.add(2, "_file", "Le fichier ne contient aucune ligne de foyer.")
    return Examination(list(households.values()), problems.items, rows)


def _load(
    schema: Schema,
    data: dict[str, Any],
    columns: dict[str, str],
    line: int,
    problems: Problems,
) -> dict[str, Any] | None:
    """Validate with the API's own schema; report errors under the CSV column names."""
    by_field = {target: column for column, target in columns.items()}
    try:
        return schema.load(data)
    except ValidationError as exc:
        for path, message in flatten(exc.messages):
            head = path.split(".")[0]
            problems.add(line, by_field.get(head, head), translate(message))
        return None


def _household(values: dict[str, str], line: int, problems: Problems) -> ImportedHousehold | None:
    before = len(problems.items)
    address = _load(
        AddressIn(),
        {field: values.get(column, "") for column, field in HOUSEHOLD_COLUMNS.items()},
        HOUSEHOLD_COLUMNS,
        line,
        problems,
    )
    phones_field = _phones()
    phones: list[str] = []
    if values.get("telephone"):
        try:
            phones = phones_field.deserialize([values["telephone"]])
        except ValidationError as exc:
            for _, message in flatten(exc.messages):
                problems.add(line, "telephone", translate(message))
    guardians = []
    for prefix in GUARDIANS:
        columns = {f"{prefix}_{c}": f for c, f in GUARDIAN_COLUMNS.items()}
        raw = {column: values.get(column, "") for column in columns}
        if not any(raw.values()):
            continue
        data: dict[str, Any] = {}
        for column, target in columns.items():
            text = raw[column]
            if not text:
                continue
            elif target == "birth_date":
                data[target] = _date(text)
            elif target == "relationship":
                data[target] = RELATIONSHIPS.get(_key(text), text)
            elif target == "phones":
                data[target] = [text]
            else:
                data[target] = text
        guardian = _load(GuardianIn(), data, columns, line, problems)
        if guardian is not None:
            guardians.append(guardian)
    if not guardians and len(problems.items) == before:
        problems.add(line, "responsable1_nom", "Au moins un responsable légal est obligatoire.")
    if len(problems.items) > before or address is None:
        return None
    return ImportedHousehold(values["reference"], line, address, phones, guardians)


def _child(values: dict[str, str], line: int, problems: Problems) -> dict[str, Any] | None:
    columns = {f"enfant_{c}": f for c, f in CHILD_COLUMNS.items()}
    raw = {column: values.get(column, "") for column in columns}
    if not any(raw.values()):
        return None
    data: dict[str, Any] = {}
    for column, target in columns.items():
        text = raw[column]
        if target in ("first_name", "last_name", "birth_date"):
            if text:  # missing: the schema says the field is required
                data[target] = _date(text) if target == "birth_date" else text
        elif target == "diet":
            data[target] = DIETS.get(_key(text).replace("_", " "), DIETS.get(text, text))
        elif target == "image_rights":
            answer = _key(text)
            if answer in YES or answer in NO:
                data[target] = answer in YES
            else:
                problems.add(line, column, "Répondez « oui » ou « non ».")
        elif target == "sex":
            if text:
                data[target] = text.upper()
        elif text:
            data[target] = text
    return _load(ChildIn(), data, columns, line, problems)


def _dedupe(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for item in items:
        key = (item["line"], item["field"], item["detail"])
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
