"""The back-office accounts' pure logic: the list's and the log's filters read safely, the
kinds an agent or an admin may create, the town's sites, the forms checked, the log's
entries said in French."""

from __future__ import annotations

from web.domain import staff_accounts as sa


def test_the_list_filters_are_read_safely() -> None:
    search = sa.read_search({"q": "  Léa   Dupont ", "role": "animateur", "statut": "actif"})
    assert search == sa.AccountsSearch("Léa Dupont", "animateur", "actif", 1)
    assert search.params == {
        "q": "Léa Dupont",
        "role": "animator",
        "status": "active",
        "limit": "25",
        "offset": "0",
    }
    odd = sa.read_search({"role": "pirate", "statut": "?", "page": "-2"})
    assert odd == sa.AccountsSearch()
    assert sa.read_search({"page": "3"}).params == {"limit": "25", "offset": "50"}
    assert sa.read_search({"page": "deux"}).page == 1
    assert len(sa.read_search({"q": "a" * 300}).text) == sa.TEXT_MAX
    assert sa.AccountsSearch("x", "", "desactive", 1).link(2) == {
        "q": "x",
        "statut": "desactive",
        "page": "2",
    }


def test_an_agent_creates_families_an_admin_every_kind() -> None:
    assert [k for k, _ in sa.kinds_for(False)] == ["famille"]
    assert [k for k, _ in sa.kinds_for(True)] == ["famille", "agent", "administrateur", "animateur"]
    assert sa.kind_of(["admin", "staff"]) == "administrateur"
    assert sa.kind_of(["staff"]) == "agent"
    assert sa.kind_of(["animator"]) == "animateur"
    assert sa.kind_of(["family"]) == "famille"
    assert sa.roles_label(["staff", "admin"]) == "Administrateur, Agent"


def test_the_towns_sites_come_from_its_activities_once_each() -> None:
    activities = [
        {"site": "École du centre"},
        {"site": " École du centre "},
        {"site": "centre du Lac"},
        {"site": None},
        {},
    ]
    assert sa.sites_of(activities) == ["centre du Lac", "École du centre"]


def form(**fields: str) -> dict[str, str]:
    return {"email": "lea@mairie.fr", "display_name": "Léa", "mode": "invitation", **fields}


def test_the_account_form_is_checked_before_identity() -> None:
    sites = ["École du centre", "Centre du Lac"]
    family = sa.read_account_form(form(kind="famille"), ["École du centre"])
    assert sa.check_account_form(family, admin=False, known_sites=sites).fields == {}
    assert family.body()["sites"] == []  # sites are an animator's only
    agent = sa.read_account_form(form(kind="agent"), [])
    assert set(sa.check_account_form(agent, admin=False, known_sites=sites).fields) == {"kind"}
    assert sa.check_account_form(agent, admin=True, known_sites=sites).fields == {}
    animator = sa.read_account_form(form(kind="animateur"), [])
    assert set(sa.check_account_form(animator, admin=True, known_sites=sites).fields) == {"sites"}
    unknown = sa.read_account_form(form(kind="animateur"), ["Ailleurs"])
    assert set(sa.check_account_form(unknown, admin=True, known_sites=sites).fields) == {"sites"}
    good = sa.read_account_form(form(kind="animateur"), ["Centre du Lac", "Centre du Lac", " "])
    assert good.sites == ("Centre du Lac",)
    assert good.body() == {
        "email": "lea@mairie.fr",
        "display_name": "Léa",
        "roles": ["animator"],
        "sites": ["Centre du Lac"],
        "mode": "invitation",
    }
    empty = sa.read_account_form({}, [])
    assert set(sa.check_account_form(empty, admin=True, known_sites=sites).fields) == {
        "email",
        "display_name",
        "kind",
        "mode",
    }


def test_the_roles_form() -> None:
    admin = sa.read_roles_form({"kind": "administrateur"}, ["École"])
    assert sa.check_roles_form(admin, known_sites=[]) == {}
    assert admin.body() == {"roles": ["admin", "staff"], "sites": []}
    animator = sa.read_roles_form({"kind": "animateur"}, [])
    assert set(sa.check_roles_form(animator, known_sites=["École"])) == {"sites"}
    assert set(sa.check_roles_form(sa.RolesForm("chef", ()), known_sites=[])) == {"kind"}


def test_the_journal_filter_and_its_entries_in_words() -> None:
    wanted = sa.read_journal({"courriel": " Lea@Mairie.fr ", "page": "2"})
    assert wanted.params == {"email": "lea@mairie.fr", "limit": "25", "offset": "25"}
    assert wanted.link(3) == {"courriel": "lea@mairie.fr", "page": "3"}
    assert sa.action_label("temporary_password_given") == "Mot de passe provisoire donné"
    assert sa.action_label("something_new") == "Something new"
    changed = {
        "details": {
            "roles": {"before": ["staff"], "after": ["animator"]},
            "sites": {"before": [], "after": ["Centre du Lac"]},
        }
    }
    assert sa.entry_details(changed) == "rôles : Agent → Animateur ; sites : aucun → Centre du Lac"
    created = {"details": {"roles": ["family"], "mode": "temporary_password"}}
    assert sa.entry_details(created) == "rôles : Famille ; mot de passe provisoire"
    assert sa.entry_details({"details": {"failures": 3}}) == ""
