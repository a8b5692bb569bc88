"""Figures read for people and monitoring, changing nothing.

Owns: the operations dashboard's figures and what ``/metrics`` shows.
May call: any package below it (today ``runtime`` only).
"""
