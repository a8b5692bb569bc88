"""Reference data: what the retailer sets up and the hot paths read from memory.

Owns: products and nodes (bulk upserts and listings), the settings documents (stock protection rules,
sourcing settings, delivery prices, the retailer's own deliveries), carrier services, API keys, and the
reference cache (a snapshot of all of it, reloaded when its version counter moves).
May call: ``runtime``.
"""
