"""Pure domain rules of the identity service: no HTTP, no SQL, no AMQP.

Modules:
    tenants        a municipality and the rules of its settings (terms only move forward)
    accounts       an account; who may create which; the password policy applied; terms status
    links          single-use emailed links: purposes, pages, when one can still be used
    passwords      password policy (French messages), temporary passwords, the argon2id hasher
    secret_tokens  single-use link tokens and refresh tokens, stored only as hashes
    captcha        ALTCHA proof-of-work challenges for the public forms
    keys           Ed25519 signing keys, the keyring and its rotation, JWKS
    vault          signing keys at rest (AES-256-GCM)
    tokens         EdDSA access tokens (JWT): issue and verify
    lockout        brute-force throttling of login attempts
    errors         what the domain refuses, mapped once to problem+json
"""
