"""A town as its portal shows it: its name, contact and colours, with the defaults notify's
emails use for what its staff have not configured."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

DEFAULT_PRIMARY = "#1d4f91"
DEFAULT_ACCENT = "#f2a900"
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
FEATURES = ("family_edits", "online_booking", "wallet", "direct_debit")


@dataclass(frozen=True)
class Theme:
    tenant: str
    name: str
    contact_service: str | None
    contact_email: str | None
    contact_phone: str | None
    primary_color: str
    accent_color: str
    # What the town offers its families online (identity's public page; all on by default):
    # the portal hides what is off and shows the town's message instead.
    features: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(FEATURES, True))

    @property
    def contact(self) -> str:
        """Whom a family writes to: the service (or the town) and its email and phone."""
        who = self.contact_service or self.name
        details = ", ".join(x for x in (self.contact_email, self.contact_phone) if x)
        return f"{who} ({details})" if details else who

    @classmethod
    def build(
        cls, tenant: str, public: dict[str, Any] | None, styled: dict[str, Any] | None = None
    ) -> Theme:
        """From identity's public page of the tenant (`GET /tenants/{t}`: its name and
        general contact) and notify's theme (`GET /tenants/{t}/theme`: the colours and the
        families' contact its emails show, when its staff configured them). A colour that is
        not #rrggbb is replaced by the default (it goes into a style sheet)."""
        public = dict(public or {})
        styled = dict(styled or {})
        configured = bool(styled.get("configured"))
        name = public.get("display_name") or styled.get("name") or tenant.replace("-", " ").title()

        def contact(key: str) -> str | None:
            if configured and styled.get(key):
                return str(styled[key])
            return public.get(key) or styled.get(key) or None

        primary = str(styled.get("primary_color") or "")
        accent = str(styled.get("accent_color") or "")
        return cls(
            tenant=tenant,
            name=name,
            contact_service=styled.get("contact_service") if configured else None,
            contact_email=contact("contact_email"),
            contact_phone=contact("contact_phone"),
            primary_color=primary if _COLOR.match(primary) else DEFAULT_PRIMARY,
            accent_color=accent if _COLOR.match(accent) else DEFAULT_ACCENT,
            features=features(public.get("features")),
        )


def features(found: Any) -> dict[str, bool]:
    """The town's switches from identity's public page; a missing one is on (an identity
    without them, or not answering, turns nothing off)."""
    found = found if isinstance(found, dict) else {}
    return {name: found.get(name) is not False for name in FEATURES}


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""

    def luminance(color: str) -> float:
        channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background: str) -> str:
    """White or near-black, whichever reads best on the colour (AA: 4.5:1 when possible)."""
    white, black = "#ffffff", "#111111"
    on_white = contrast_ratio(white, background)
    return white if on_white >= contrast_ratio(black, background) else black
