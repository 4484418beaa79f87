"""Journey across services for the yearly renewal (issue 16): the child's grade reaches booking
from the household file (family → booking), a certificate validated by staff with its end date
(family → booking), last year's enrollment renewed in next year's campaign with the grade moved
up, the family emailed through a real SMTP server (booking → notify), the household file
checked, the certificate that expires before the new year asked again, then the renewal
confirmed once a new one is validated."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import aiohttp

from shared.testing.bus import eventually
from shared.testing.journeys import FAMILY_EMAIL, STAFF_EMAIL, five_services, linked_household
from shared.testing.smtp import smtp_server

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SITE = "École du centre"
DEADLINES = {
    "booking_deadline": {"days_before": 2, "at": "23:59"},
    "cancel_deadline": {"days_before": 2, "at": "23:59"},
}


def peri(year: int, start: date, end: date, **extra: Any) -> dict[str, Any]:
    return {
        "name": f"Périscolaire {year}-{year + 1} — {SITE}",
        "type": "PERI",
        "site": SITE,
        "period_from": start.isoformat(),
        "period_to": end.isoformat(),
        "weekdays": [1, 2, 4, 5],
        "capacity": 20,
        **DEADLINES,
        **extra,
    }


async def test_a_renewal_proposed_by_email_asks_again_for_an_expired_certificate(
    make_settings, aiohttp_client, demo_household
):
    with smtp_server() as smtp:
        suite = await five_services(make_settings, aiohttp_client, smtp)
        family, booking, call = suite.family, suite.booking, suite.call
        staff = await suite.login(STAFF_EMAIL)
        # Léo, in CE2 this year (family → booking: ChildRegistered with the grade).
        opened, parent = await linked_household(suite, staff, demo_household)
        (child,) = opened["children"]
        assert child["grade"] == "CE2"

        today = date.today()
        year = today.year if today.month >= 9 else today.year - 1
        this_year = await call(
            booking,
            "POST",
            "/tenants/demo/activities",
            staff,
            peri(year, today + timedelta(days=7), today + timedelta(days=60)),
        )
        # Next year's after-school care: CM1 and CM2 only, a medical certificate required.
        next_from = today + timedelta(days=300)
        next_year = await call(
            booking,
            "POST",
            "/tenants/demo/activities",
            staff,
            peri(
                year + 1,
                next_from,
                next_from + timedelta(days=100),
                grades=["CM1", "CM2"],
                required_documents=["certificat_medical"],
            ),
        )
        # This year's campaign closed a month ago; next year's open until a month from now.
        before = await call(
            booking,
            "POST",
            "/tenants/demo/campaigns",
            staff,
            {
                "name": f"Périscolaire {year}-{year + 1}",
                "school_year": f"{year}-{year + 1}",
                "opens_on": (today - timedelta(days=90)).isoformat(),
                "closes_on": (today - timedelta(days=30)).isoformat(),
                "activity_ids": [this_year["id"]],
            },
        )
        campaign = await call(
            booking,
            "POST",
            "/tenants/demo/campaigns",
            staff,
            {
                "name": f"Périscolaire {year + 1}-{year + 2}",
                "school_year": f"{year + 1}-{year + 2}",
                "opens_on": (today - timedelta(days=1)).isoformat(),
                "closes_on": (today + timedelta(days=30)).isoformat(),
                "activity_ids": [next_year["id"]],
                "previous_campaign_id": before["id"],
            },
        )
        assert campaign["state"] == "open" and before["state"] == "closed"

        # The window of this year's campaign is closed to the family, not to staff.
        response = await booking.post(
            "/tenants/demo/enrollments",
            headers=parent,
            json={"child_id": child["id"], "activity_id": this_year["id"]},
        )
        assert response.status == 409
        assert (await response.json())["type"].endswith("/campaign-not-open")
        await call(
            booking,
            "POST",
            "/tenants/demo/enrollments",
            staff,
            {"child_id": child["id"], "activity_id": this_year["id"]},
        )

        # The family deposits a certificate; staff validate it until the eve of next year's
        # period: valid today, expired for the renewal (family → booking: DocumentValidated).
        certificate = await upload(family, parent, child["id"])
        await call(
            family,
            "POST",
            f"/tenants/demo/documents/{certificate['id']}/validate",
            staff,
            {"valid_until": (next_from - timedelta(days=1)).isoformat()},
        )
        # Booking knows it once this year's swimming, which requires it, takes Léo.
        swimming = await call(
            booking,
            "POST",
            "/tenants/demo/activities",
            staff,
            {
                **peri(year, today + timedelta(days=7), today + timedelta(days=60)),
                "name": "Piscine",
                "type": "SPORT",
                "required_documents": ["certificat_medical"],
            },
        )

        async def swimming_enrollment() -> Any:
            response = await booking.post(
                "/tenants/demo/enrollments",
                headers=parent,
                json={"child_id": child["id"], "activity_id": swimming["id"]},
            )
            return await response.json() if response.status == 201 else None

        await eventually(swimming_enrollment, timeout=15, interval=0.3)

        # Staff prepare the renewals: Léo moves up to CM1, eligible for next year's care.
        path = f"/tenants/demo/campaigns/{campaign['id']}"
        prepared = await call(booking, "POST", f"{path}/renewals", staff, {})
        assert (prepared["proposed"], prepared["ineligible"], prepared["unmapped"]) == (1, 0, [])
        (renewal,) = (await call(booking, "GET", f"{path}/renewals", parent))["items"]
        assert (renewal["next_grade"], renewal["status"]) == ("CM1", "proposed")
        assert renewal["from_activity_id"] == this_year["id"]

        # booking → notify: the family is emailed the renewal with the link to answer it.
        async def proposal() -> Any:
            return next(
                (m for m in smtp.to(FAMILY_EMAIL) if "Renouvellement" in str(m["Subject"])),
                None,
            )

        mail = await eventually(proposal, timeout=20, interval=0.2)
        assert mail["Subject"] == f"Renouvellement des inscriptions {year + 1}-{year + 2}"
        text = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
        assert f"Léo :\n- {next_year['name']} : inscription à renouveler" in text
        assert f"/inscriptions/renouvellement/{campaign['id']}" in text

        # The family answers: its file checked first, then the certificate asked again.
        answer = f"/tenants/demo/renewals/{renewal['id']}/answer"
        r = await call(booking, "POST", answer, parent, {"answer": "confirm"}, status=409)
        assert r["type"].endswith("/file-check-required")
        await call(booking, "POST", f"{path}/file-check", parent, {})
        r = await call(booking, "POST", answer, parent, {"answer": "confirm"}, status=422)
        assert r["type"].endswith("/missing-documents")
        assert r["missing_documents"] == ["certificat_medical"]
        assert "expiré" in r["detail"]

        # A new certificate validated for the whole year: the renewal confirmed.
        renewed = await upload(family, parent, child["id"])
        await call(
            family,
            "POST",
            f"/tenants/demo/documents/{renewed['id']}/validate",
            staff,
            {"valid_until": (next_from + timedelta(days=200)).isoformat()},
        )

        async def confirmed() -> Any:
            response = await booking.post(answer, headers=parent, json={"answer": "confirm"})
            return await response.json() if response.status == 200 else None

        done = await eventually(confirmed, timeout=15, interval=0.3)
        assert done["renewal"]["status"] == "confirmed"
        assert done["enrollment"]["activity_id"] == next_year["id"]
        assert done["enrollment"]["status"] == "approved"
        counts = (await call(booking, "GET", path, staff))["counts"]
        assert counts["renewals_confirmed"] == 1 and counts["file_checks"] == 1


async def upload(family: Any, headers: dict[str, str], child_id: str) -> Any:
    """The family deposits Léo's medical certificate (a PDF)."""
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("document_type", "certificat_medical")
    form.add_field("member_id", child_id)
    form.add_field("file", PDF, filename="certificat.pdf", content_type="application/pdf")
    response = await family.post("/tenants/demo/me/household/documents", data=form, headers=headers)
    assert response.status == 201, await response.text()
    return await response.json()
