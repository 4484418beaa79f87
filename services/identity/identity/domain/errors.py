"""What the identity domain refuses, in its own words (French details for families).

Mapped once to problem+json by the shared middleware (`kind` gives the status), except
`TooManyAttempts`, whose Retry-After header the HTTP adapters add.
"""

from __future__ import annotations

from identity.domain.keys import SigningKey
from shared.errors import DomainError

# --- municipalities ---------------------------------------------------------------------


class TenantNotFound(DomainError):
    code = "tenant-not-found"
    kind = "not_found"
    title = "Unknown municipality"
    detail = "Cette collectivité n'existe pas sur le portail."


class TenantExists(DomainError):
    code = "tenant-exists"
    kind = "conflict"
    title = "Municipality exists"

    def __init__(self, slug: str) -> None:
        super().__init__(f"a municipality with the slug {slug!r} already exists")


class TermsVersionMismatch(DomainError):
    code = "terms-version-mismatch"
    kind = "conflict"
    title = "Not the current terms"
    detail = (
        "Ces conditions d'utilisation ne sont plus les conditions en vigueur ; rechargez la page."
    )


class TermsVersionDecrease(DomainError):
    code = "terms-version-decrease"
    kind = "conflict"
    title = "Terms version going back"
    detail = "La nouvelle version des conditions d'utilisation doit être supérieure à l'actuelle."


# --- accounts ---------------------------------------------------------------------------


class NotYourHousehold(DomainError):
    """A switch to a household the account is not linked to."""

    code = "not-a-household-of-the-account"
    kind = "invalid"
    title = "Not one of the account's households"
    detail = "Ce foyer ne fait pas partie de vos abonnements."


class AccountNotFound(DomainError):
    code = "account-not-found"
    kind = "not_found"
    title = "Account not found"
    detail = "Ce compte n'existe pas."


class AccountExists(DomainError):
    code = "account-exists"
    kind = "conflict"
    title = "Account exists"
    detail = "Un compte utilise déjà cette adresse e-mail dans cette collectivité."


class RoleNotAllowed(DomainError):
    code = "role-not-allowed"
    kind = "forbidden"
    title = "Role not allowed"
    detail = "Seul un administrateur peut créer un compte agent, animateur ou administrateur."


class SitesRequired(DomainError):
    code = "sites-required"
    kind = "invalid"
    title = "Sites required"
    detail = "Un animateur doit être rattaché à au moins un site."


class SitesOnlyForAnimators(DomainError):
    code = "sites-only-for-animators"
    kind = "invalid"
    title = "Sites only for animators"
    detail = "Seul un compte animateur est rattaché à des sites."


class CannotRemoveOwnAdmin(DomainError):
    code = "cannot-remove-own-admin"
    kind = "conflict"
    title = "Cannot remove one's own admin role"
    detail = "Vous ne pouvez pas retirer votre propre rôle d'administrateur."


class CannotResetOwnPassword(DomainError):
    code = "cannot-reset-own-password"
    kind = "conflict"
    title = "Cannot give oneself a temporary password"
    detail = "Changez votre propre mot de passe depuis votre compte."


class TemporaryPasswordNotAllowed(DomainError):
    code = "temporary-password-not-allowed"
    kind = "forbidden"
    title = "Temporary password not allowed"
    detail = (
        "Seul un administrateur peut donner un mot de passe provisoire à un compte agent, "
        "animateur ou administrateur."
    )


class AccountDisabled(DomainError):
    code = "account-disabled"
    kind = "conflict"
    title = "Account disabled"
    detail = "Ce compte est désactivé : réactivez-le d'abord."


class CannotDisableSelf(DomainError):
    code = "cannot-disable-self"
    kind = "conflict"
    title = "Cannot disable oneself"
    detail = "Vous ne pouvez pas désactiver votre propre compte."


class AccountNotActivated(DomainError):
    code = "account-not-activated"
    kind = "forbidden"
    title = "Account not activated"
    detail = (
        "Votre compte n'est pas encore activé : cliquez sur le lien reçu par e-mail "
        "(vous pouvez en demander un nouveau)."
    )


class CaptchaRefused(DomainError):
    code = "captcha-invalid"
    kind = "invalid"
    title = "Captcha not solved"
    detail = "La vérification anti-robot a échoué ; merci de la refaire."


# --- passwords and sessions -------------------------------------------------------------


class WeakPassword(DomainError):
    code = "weak-password"
    kind = "invalid"
    title = "Password refused"
    detail = "Le mot de passe ne respecte pas les règles de sécurité."


class WrongPassword(DomainError):
    code = "wrong-password"
    kind = "invalid"
    title = "Wrong password"
    detail = "Le mot de passe actuel est incorrect."


class InvalidCredentials(DomainError):
    """One answer for unknown login, wrong password and locked account (no enumeration)."""

    code = "invalid-credentials"
    kind = "unauthenticated"
    title = "Invalid credentials"
    detail = "Identifiant ou mot de passe incorrect."


class InvalidRefreshToken(DomainError):
    code = "invalid-refresh-token"
    kind = "unauthenticated"
    title = "Invalid refresh token"
    detail = "Votre session a expiré ; merci de vous reconnecter."


class TooManyAttempts(DomainError):
    """Password attempts come too fast: wait `seconds` (the HTTP answer's Retry-After)."""

    code = "too-many-attempts"
    kind = "rate_limited"
    title = "Too many attempts"

    def __init__(self, seconds: int, what: str = "connexion") -> None:
        self.seconds = max(1, seconds)
        super().__init__(
            f"Trop de tentatives de {what} : merci de patienter {self.seconds} seconde(s) "
            "avant de réessayer.",
            retry_after=self.seconds,
        )


# --- single-use links -------------------------------------------------------------------


class InvalidLink(DomainError):
    code = "invalid-link"
    kind = "not_found"
    title = "Unknown link"
    detail = "Ce lien n'est pas valide ; vérifiez que vous avez copié l'adresse en entier."


class LinkUsed(DomainError):
    code = "link-already-used"
    kind = "conflict"
    title = "Link already used"
    detail = "Ce lien a déjà été utilisé."


class LinkExpired(DomainError):
    code = "link-expired"
    kind = "gone"
    title = "Link expired"
    detail = "Ce lien a expiré ; vous pouvez en demander un nouveau."


class LinkSuperseded(DomainError):
    code = "link-superseded"
    kind = "gone"
    title = "Link replaced"
    detail = "Ce lien n'est plus valable : un lien plus récent vous a été envoyé."


# --- email ------------------------------------------------------------------------------


class SameEmail(DomainError):
    code = "same-email"
    kind = "invalid"
    title = "Same email"
    detail = "C'est déjà l'adresse e-mail de votre compte."


class EmailTaken(DomainError):
    code = "email-already-used"
    kind = "conflict"
    title = "Email already used"
    detail = "Cette adresse e-mail est déjà utilisée par un autre compte."


# --- signing keys -----------------------------------------------------------------------


class RotationPending(DomainError):
    """A prepared key has not started signing yet: one rotation at a time."""

    code = "rotation-pending"
    kind = "conflict"
    title = "A rotation is pending"

    def __init__(self, key: SigningKey) -> None:
        super().__init__(
            f"key {key.kid} is already waiting to sign (from {key.active_from.isoformat()});"
            " rotate again after that"
        )
        self.key = key
