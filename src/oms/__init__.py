"""Order Management System for omnichannel retail."""

__version__ = "0.1.0"
