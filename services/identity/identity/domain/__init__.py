"""Pure domain rules of the identity service: no HTTP, no SQL, no AMQP.

Modules:
    passwords      password policy (French messages) and the argon2id hasher
    secret_tokens  single-use link tokens and refresh tokens, stored only as hashes
    captcha        ALTCHA proof-of-work challenges for the public forms
    keys           Ed25519 signing keys, the keyring and its rotation, JWKS
    tokens         EdDSA access tokens (JWT): issue and verify
    lockout        brute-force throttling of login attempts
"""
