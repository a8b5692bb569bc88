"""What the service tells the systems around it, and how it reaches them.

Owns: the event rows written inside each change's transaction (the order timeline and the outbox), the
outbox relay, webhook subscriptions and their signed deliveries, the NATS JetStream stream, carrier
adapters (booking a shipment), HTTP to partners' addresses that cannot lead back inside, and the sealing of
webhook secrets.
May call: ``runtime``, ``reference``.
"""
