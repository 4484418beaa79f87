"""Pure domain rules of the family service: no HTTP, no SQL, no AMQP.

Modules:
    codes      subscriber codes: generation (no ambiguous characters) and normalisation
    throttle   wrong subscriber codes: how many tries, and for how long to wait
    changes    pending changes proposed by families: states and what staff may decide
    quotient   the family quotient (QF): validity and the one in force at a date
    catalog    the tenant's lists (document types, request topics), documents' validity,
               requests' status
    errors     what the service refuses, in the domain's words
"""
