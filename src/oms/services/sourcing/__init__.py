"""The sourcing decision: where an order's units come from. It decides; it changes no order.

Owns: the checked request and its eligible nodes (planning), the sourcer (the channel and mode's strategy
over the nodes, each priced), the rows of new fulfilment orders, the decisions kept beside orders (their
explanations), and simulations of a draft strategy.
May call: ``runtime``, ``reference``, ``partners``, ``stock``, ``promise``.
"""
