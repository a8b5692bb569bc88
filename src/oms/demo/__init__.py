"""A demo retailer to try the OMS on: ``oms demo`` loads it (see ``generate`` and ``load``)."""
