"""Units kept for a shopper or an order before they leave a node.

Owns: the loop every reservation runs (plan, store, plan again when the stock moved), cart and checkout
holds, and their expiry (``end_holds``: a hold's units go back with its lines).
May call: ``runtime``, ``reference``, ``partners``, ``stock``, ``promise``, ``sourcing``.
An order's reserved units change with the order, under its lock: ``orders/state.py`` (``OrderState.reserve``,
``release``, ``consume``, ``move_reserved``, ``add_reserved``, ``follow_reserved``).
"""
