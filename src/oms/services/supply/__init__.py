"""Future supply and the work that waits for it.

Owns: purchase orders and transfers expected at nodes, and backordered fulfilment orders, released to
their node when the units they wait for are there.
May call: the packages up to ``orders``.
"""
