"""HTTP adapters of the family service, one module per resource: each handler parses the
request, calls one use case (`family.usecases`) and answers. Every route is written out
(`@routes.get("/tenants/{tenant}/...")`), so a URL is found by searching for it.

Modules:
    access          who is calling, on which household (staff's door and the family's)
    edits           the one path of a change to the file (staff: applied; family: pending)
    households      the household file, its search, its address and phones
    members         guardians, children, contacts
    health_records  children's health records and who read them
    photos          children's photos (and the one a family proposed)
    quotients       the family quotient
    changes         changes proposed by families and staff's decisions; household requests
    linking         an account linked to its household (subscriber code, staff)
    catalog         the tenant's lists: document types, request topics
    permissions     the town's permissions per child, the proofs required with changes
    documents       supporting documents
    town_requests   requests to the town
    importing       the CSV import of the town's household file
    privacy         the export, deletion requests, anonymisation
    subscriber_codes  the subscriber-code letters, a new code for a lost one
    onboarding      onboarding runs: the guardians of imported households invited
"""

from __future__ import annotations

from aiohttp import web

from family.api import (
    catalog,
    changes,
    documents,
    health_records,
    households,
    importing,
    linking,
    members,
    onboarding,
    permissions,
    photos,
    privacy,
    quotients,
    subscriber_codes,
    town_requests,
)

routes: list[web.AbstractRouteDef] = [
    *households.routes,
    *members.routes,
    *health_records.routes,
    *quotients.routes,
    *linking.routes,
    *changes.routes,
    *photos.routes,
    *catalog.routes,
    *permissions.routes,
    *documents.routes,
    *town_requests.routes,
    *importing.routes,
    *privacy.routes,
    *subscriber_codes.routes,
    *onboarding.routes,
]
