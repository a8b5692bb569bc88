"""What every use case is handed and shares.

Owns: the context (settings, database, clock and the caches the process keeps), the input shapes every body
is built from (codes, dates, money, addresses, an order's lines and delivery), cursor pagination, page
caches, request fingerprints (idempotent replays), the failed-authentication throttle, and the checks the
bulk writers share.
May call: ``domain`` and ``db`` only.
"""
