"""Children's photos: JPEG/PNG by content, size-limited, staff at once, families pending."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp

Town = Any
ME = "/tenants/epagny/me/household"


def staff_path(h: dict[str, Any], child_id: str) -> str:
    return f"/tenants/epagny/households/{h['id']}/children/{child_id}/photo"


async def put(town: Town, path: str, headers: dict[str, str], content: bytes, **kw: Any) -> Any:
    """PUT the raw image, with whatever type the client claims."""
    declared = kw.pop("declared", "image/jpeg")
    return await town.client.put(
        path, data=content, headers={**headers, "Content-Type": declared}, **kw
    )


async def put_form(
    town: Town, path: str, headers: dict[str, str], content: bytes, filename: str
) -> Any:
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("file", content, filename=filename, content_type="image/jpeg")
    return await town.client.put(path, data=form, headers=headers)


async def test_staff_put_and_everyone_allowed_gets_the_image(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    staff = town.staff()
    path = staff_path(h, child_id)
    assert (await town.client.get(path, headers=staff)).status == 404  # none yet
    r = await put(town, path, staff, town.JPEG)
    assert r.status == 200, await r.text()
    meta = await r.json()
    assert meta["child_id"] == child_id and meta["content_type"] == "image/jpeg"
    assert meta["size"] == len(town.JPEG)
    for url, headers in ((path, staff), (f"{ME}/children/{child_id}/photo", family)):
        r = await town.client.get(url, headers=headers)
        assert r.status == 200 and await r.read() == town.JPEG
        assert r.headers["Content-Type"] == "image/jpeg"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Disposition"].startswith("inline;")
        assert r.headers["Cache-Control"] == "no-store"
    file = await town.call("GET", f"/tenants/epagny/households/{h['id']}", staff)
    assert file["children"][0]["has_photo"] is True
    # A PNG sent as a form under a .jpg name replaces it, typed as what it is.
    r = await put_form(town, path, staff, town.PNG, "photo.jpg")
    assert r.status == 200 and (await r.json())["content_type"] == "image/png"
    r = await town.client.get(f"{ME}/children/{child_id}/photo", headers=family)
    assert r.headers["Content-Type"] == "image/png" and await r.read() == town.PNG
    # Staff remove it.
    r = await town.client.delete(path, headers=staff)
    assert r.status == 204
    assert (await town.client.get(path, headers=staff)).status == 404
    assert (await town.client.delete(path, headers=staff)).status == 404


async def test_bad_images_get_a_clear_4xx(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    staff = town.staff()
    for path, headers in (
        (staff_path(h, child_id), staff),
        (f"{ME}/children/{child_id}/photo", family),
    ):
        limit = town.settings.photo_max_bytes
        r = await put(town, path, headers, town.JPEG + b"\x00" * limit)
        assert r.status == 413, await r.text()
        body = await r.json()
        assert body["max_bytes"] == limit and "2 Mo" in body["detail"]
        r = await put_form(town, path, headers, town.JPEG + b"\x00" * limit, "grand.jpg")
        assert r.status == 413
        r = await put(town, path, headers, b"")
        assert r.status == 422 and (await r.json())["type"].endswith("/empty-file")
        # A PDF named and declared as a JPEG: refused from its content.
        r = await put_form(town, path, headers, town.PDF, "photo.jpg")
        assert r.status == 415, await r.text()
        assert "pas une image JPEG ou PNG" in (await r.json())["detail"]
        r = await put(town, path, headers, town.PDF, declared="image/jpeg")
        assert r.status == 415
        r = await put(town, path, headers, b"GIF89a" + b"\x00" * 30, declared="image/png")
        assert r.status == 415
    assert await town.pool.fetchval("SELECT count(*) FROM child_photos") == 0
    assert await town.pool.fetchval("SELECT count(*) FROM pending_changes") == 0


async def test_a_family_photo_waits_for_staff(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    mine = f"{ME}/children/{child_id}/photo"
    r = await put(town, mine, family, town.JPEG, declared="application/octet-stream")
    assert r.status == 202, await r.text()
    change = await r.json()
    assert change["status"] == "pending" and change["entity"] == "photo"
    assert change["summary"] == "Modification de la photo : Léa Martin"
    assert change["before"] is None and change["proposed"]["content_type"] == "image/jpeg"
    assert (await town.client.get(mine, headers=family)).status == 404  # not applied yet
    r = await town.client.get(f"{ME}/changes/{change['id']}/photo", headers=family)
    assert r.status == 200 and await r.read() == town.JPEG
    staff = town.staff()
    r = await town.client.get(f"/tenants/epagny/changes/{change['id']}/photo", headers=staff)
    assert r.status == 200 and r.headers["Content-Type"] == "image/jpeg"
    approve = f"/tenants/epagny/changes/{change['id']}/approve"
    decided = await town.call("POST", approve, staff)
    assert decided["status"] == "approved"
    assert (await town.client.post(approve, headers=staff)).status == 409
    r = await town.client.get(mine, headers=family)
    assert r.status == 200 and await r.read() == town.JPEG
    assert await town.pool.fetchval("SELECT count(*) FROM pending_photos") == 0
    (event,) = await town.events("family.ChangeRequestDecided")
    assert event["payload"]["entity"] == "photo" and event["payload"]["decision"] == "approved"

    # A second photo, rejected: the photo stays, the proposed image is not kept.
    r = await put_form(town, mine, family, town.PNG, "nouvelle.png")
    second = await r.json()
    assert second["before"]["content_type"] == "image/jpeg"
    await town.call(
        "POST", f"/tenants/epagny/changes/{second['id']}/reject", staff, {"reason": "Floue"}
    )
    assert await town.pool.fetchval("SELECT count(*) FROM pending_photos") == 0
    r = await town.client.get(f"/tenants/epagny/changes/{second['id']}/photo", headers=staff)
    assert r.status == 404
    assert await (await town.client.get(mine, headers=family)).read() == town.JPEG
    # Removing it is a change too.
    r = await town.client.delete(mine, headers=family)
    assert r.status == 202
    removal = await r.json()
    assert removal["operation"] == "delete"
    await town.call("POST", f"/tenants/epagny/changes/{removal['id']}/approve", staff)
    assert (await town.client.get(mine, headers=family)).status == 404
    assert (await town.client.delete(mine, headers=family)).status == 404  # nothing to remove


async def test_no_one_else_sees_or_changes_a_photo(town: Town) -> None:
    a = await town.household()
    b = await town.household(guardians=[town.guardian("Paul", "Roux")])
    family_a = await town.linked_family(a)
    family_b = await town.linked_family(b)
    child_a = a["children"][0]["id"]
    staff = town.staff()
    await put(town, staff_path(a, child_a), staff, town.JPEG)
    r = await put(town, f"{ME}/children/{child_a}/photo", family_a, town.PNG)
    change_a = await r.json()
    # Family B, on its own door, names A's child or A's change: 404, nothing read or stored.
    for method in ("GET", "PUT", "DELETE"):
        r = await town.client.request(
            method, f"{ME}/children/{child_a}/photo", headers=family_b, data=town.PNG
        )
        assert r.status == 404, (method, r.status)
    r = await town.client.get(f"{ME}/changes/{change_a['id']}/photo", headers=family_b)
    assert r.status == 404
    # Families never use the staff door; staff of another town see nothing.
    for headers in (family_a, family_b):
        r = await town.client.get(staff_path(a, child_a), headers=headers)
        assert r.status == 403
        r = await town.client.get(
            f"/tenants/epagny/changes/{change_a['id']}/photo", headers=headers
        )
        assert r.status == 403
    other_town = town.staff("annecy")
    r = await town.client.get(
        f"/tenants/annecy/households/{a['id']}/children/{child_a}/photo", headers=other_town
    )
    assert r.status == 404
    r = await town.client.get(f"/tenants/annecy/changes/{change_a['id']}/photo", headers=other_town)
    assert r.status == 404
    # A child of B on A's staff path: 404; a malformed id: 404.
    r = await town.client.get(staff_path(a, b["children"][0]["id"]), headers=staff)
    assert r.status == 404
    r = await town.client.get(staff_path(a, "not-a-uuid"), headers=staff)
    assert r.status == 404
    r = await put(town, staff_path(a, str(uuid.uuid4())), staff, town.JPEG)
    assert r.status == 404
    assert await town.pool.fetchval("SELECT count(*) FROM pending_changes") == 1
