"""Connectors: orders flowing in from the shops and marketplaces a retailer already runs.

Owns: the connectors (their sealed credentials, product references and shipping methods mapped), and the
inbox of what their platforms pushed.
May call: the packages up to ``replenishment`` (``partners`` for the addresses it may reach, ``orders`` to
capture).
"""
