"""The portal's pages (thin: read the form, call a use case or a service, render)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from web.pages import (
    absences,
    account,
    auth,
    basket,
    direct_debit,
    documents,
    enrollments,
    history,
    home,
    household,
    invoices,
    requests,
    reservations,
    staff_accounts,
    staff_activities,
    staff_attendance,
    staff_billing,
    staff_booking,
    staff_communication,
    staff_day_closing,
    staff_direct_debit,
    staff_file_settings,
    staff_households,
    staff_imports,
    staff_onboarding,
    staff_queue,
    staff_requests,
    staff_settings,
    staff_subscriber_codes,
    theme,
    wallet,
)

STATIC = Path(__file__).resolve().parent.parent / "static"

routes: list[web.AbstractRouteDef] = [
    *auth.routes,
    *staff_households.routes,
    *history.routes,
    *staff_subscriber_codes.routes,
    *account.routes,
    *home.routes,
    *household.routes,
    *documents.routes,
    *requests.routes,
    *invoices.routes,
    *enrollments.routes,
    *absences.routes,
    *theme.routes,
    *wallet.routes,
    *direct_debit.routes,
    *reservations.routes,
    *basket.routes,
    *staff_queue.routes,
    *staff_requests.routes,
    *staff_booking.routes,
    *staff_activities.routes,
    *staff_day_closing.routes,
    *staff_attendance.routes,
    *staff_billing.routes,
    *staff_communication.routes,
    *staff_direct_debit.routes,
    *staff_imports.routes,
    *staff_onboarding.routes,
    *staff_accounts.routes,
    *staff_settings.routes,
    *staff_file_settings.routes,
    web.static("/static", STATIC),
]
