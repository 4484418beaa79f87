"""What the identity service does, one module per area; every state change enters a
`UnitOfWork` here, and only here. Called alike by `api/`, `events.py` and `commands.py`.

    tenants      a municipality: created with its first admin (command), read, settings changed
    invitations  an invited account (link or temporary password): the one flow staff account
                 creation and the municipality's first admin share
    accounts     staff create, list, read, disable and enable accounts; announce them all again
    signup       captcha, sign-up, activation and its resending
    sessions     login (throttled), refresh, logout; the tokens a session gets; the password
                 an authenticated request repeats
    passwords    changed, forgotten, reset with a link, chosen with an invitation link
    profile      my account, my terms of use, my email address
    households   the household links the family service tells us about
    keys         the signing keyring: loaded, rotated
    demo         the demo municipality (development only), from demo/accounts.json
    links        single-use links, and the same-looking requests that send them
    audit        the audit log, and where a change comes from (`Origin`)
"""
