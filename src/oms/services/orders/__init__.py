"""An order's life from capture until its units are with the nodes: every change made under the order's lock.

Owns: the order's state (loaded under its row lock, written back as the rows that changed; the one place
its lines' reserved units change, with their stock rows) and how it is shown, capture, cancels, changes
(a new address), reading orders and their work, and every later planning of an order's work: re-sourcing,
the batch re-optimisation of waiting orders, claims between stores, release waves.
May call: ``runtime``, ``reference``, ``partners``, ``stock``, ``promise``, ``sourcing``, ``reservations``.
"""
