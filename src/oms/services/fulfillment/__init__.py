"""The nodes' and carriers' side of the work: what they confirm and report.

Owns: node confirmations (accept, reject, pick, ship, deliver, ready, collect), answers to cancels of
released work, carriers' tracking, parcels not collected in time, and work not accepted in time (SLA).
May call: the packages up to ``returns``.
"""
