"""Returns (RMA): units coming back from customers.

Owns: returns started by a channel (with an exchange order if asked), their receipt at a node, and the
judgement of each unit (restocked, written off, kept).
May call: the packages up to ``supply``.
"""
