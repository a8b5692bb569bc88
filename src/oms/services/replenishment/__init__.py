"""Store replenishment: what each store sells, and the units it should receive before its shelves run short.

Owns: the demand a store's ledger shows, per day and stream.
May call: the packages up to ``fulfillment``.
"""
