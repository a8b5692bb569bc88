"""Inventory arithmetic."""


def atp(on_hand: int, reserved: int, safety_stock: int) -> int:
    """Available to promise at one node: on hand less reserved less safety stock, never below zero."""
    return max(0, on_hand - reserved - safety_stock)
