"""How Shopify and WooCommerce sign what they push: base64 of the HMAC-SHA256 of the raw body."""

from oms.domain.connectors import PUSHES, Kind, authentic, delivery_of, ping, signed

BODY = b'{"id":5820117811283,"name":"#1042"}'


def test_the_signature_is_the_platforms_scheme():
    # The expected value from another implementation:
    #   printf '{"id":5820117811283,"name":"#1042"}' | openssl dgst -sha256 -hmac shpss_example -binary | base64
    assert signed("shpss_example", BODY) == "veuMDSuDWVqlYIRF1EUrP6HKDd8Ke/PkHwdifeC/dUQ="
    assert authentic("shpss_example", BODY, "veuMDSuDWVqlYIRF1EUrP6HKDd8Ke/PkHwdifeC/dUQ=\n")
    assert not authentic("shpss_example", BODY + b" ", signed("shpss_example", BODY))
    assert not authentic("another", BODY, signed("shpss_example", BODY))
    assert not authentic("shpss_example", BODY, None)
    assert not authentic("shpss_example", BODY, "\xe9abc") and not authentic("shpss_example", BODY, "€")


def test_only_woocommerces_unsigned_ping_is_a_ping():
    assert ping(b"webhook_id=14", {})
    assert not ping(b"webhook_id=14", {"x-wc-webhook-signature": "x"})
    assert not ping(b"webhook_id=14&topic=order.created", {}) and not ping(b'{"webhook_id": 14}', {})


def test_a_delivery_without_an_id_is_known_by_its_body():
    push = PUSHES[Kind.SHOPIFY]
    assert delivery_of(push, BODY, {"x-shopify-webhook-id": " b5455 "}) == "b5455"
    assert delivery_of(push, BODY, {}) == delivery_of(push, BODY, {"x-shopify-webhook-id": ""})
    assert delivery_of(push, BODY, {}).startswith("sha256:") and delivery_of(push, BODY, {}) != delivery_of(
        push, BODY + b" ", {})
