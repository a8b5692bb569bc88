"""The use cases, one package per capability, stacked from the bottom up (``tests/unit/test_layers.py`` keeps
the order): runtime, reference, partners, stock, promise, sourcing, reservations, orders, supply, returns,
fulfillment, reads. A package may call the ones before it, never one after it; all of them use ``domain``
(the rules, no I/O) and ``db`` (tables and statements), and none knows the API or the console."""
