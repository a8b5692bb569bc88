"""Units at nodes: what the nodes report and what the channels may sell.

Owns: stock feeds (counts and movements, safe to replay and reorder), the stock rows' mirror in memory,
availability per SKU, node, mode and point, the stock check and repair, and ``inventory.low``.
May call: ``runtime``, ``reference``, ``partners``.
"""
