"""Which network addresses the OMS may send webhooks to: public ones only, so that a subscription cannot
make the service reach into its own network (its database, a cloud's metadata service, an admin port)."""

import ipaddress

# In the order a reason is given: the first class an address belongs to names it.
_CLASSES = (("is_unspecified", "unspecified"), ("is_loopback", "loopback"), ("is_link_local", "link-local"),
            ("is_multicast", "multicast"), ("is_reserved", "reserved"), ("is_private", "private"))


def refused(address: str) -> str | None:
    """Why ``address`` (an IPv4 or IPv6 literal) may not be sent to, e.g. "a loopback address"; None if it
    is public."""
    ip = ipaddress.ip_address(address.split("%")[0])  # an IPv6 zone ("fe80::1%eth0") is not part of it
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address written as IPv6 (::ffff:127.0.0.1) or carried by 6to4 is judged as itself.
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            return refused(str(inner))
    for test, name in _CLASSES:
        if getattr(ip, test):
            return f"a {name} address"
    if not ip.is_global:  # shared address space (100.64.0.0/10) and other ranges not routed publicly
        return "an address that is not public"
    return None
