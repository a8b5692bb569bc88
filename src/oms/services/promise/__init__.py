"""The delivery promise: which options a cart has and the window each can keep.

Owns: ``POST /v1/promise`` (options), how a plan reaches the customer in each mode and when (ways), the
signed promise ids capture checks, and the board of what nodes' daily capacity has taken.
May call: ``runtime``, ``reference``, ``partners``, ``stock``.
"""
