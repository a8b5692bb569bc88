"""Units kept for a shopper or an order before they leave a node.

Owns: the loop every reservation runs (plan, store, plan again when the stock moved), cart and checkout
holds, and their expiry.
May call: ``runtime``, ``reference``, ``partners``, ``stock``, ``promise``, ``sourcing``.
"""
