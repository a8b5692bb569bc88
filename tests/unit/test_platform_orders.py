"""Platform orders read into snapshots: the fixtures follow each platform's documented order (see
tests/fixtures/platforms/README.md)."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from oms.domain.connectors import Kind
from oms.domain.platform_orders import Line, Unreadable, read

FIXTURES = Path(__file__).parent.parent / "fixtures" / "platforms"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def test_a_shopify_order_reads_with_its_variants_discounted_prices_and_coordinates():
    s = read(Kind.SHOPIFY, fixture("shopify_order.json"))
    assert s.ref == "6120448812371" and s.paid and not s.cancelled
    assert s.updated_at == datetime(2026, 12, 5, 20, 47, 12, tzinfo=UTC)
    assert (s.name, s.email, s.currency) == ("Léa Dubois", "lea.dubois@example.fr", "EUR")
    # 5.00 off three bowls: 1.67 a bowl (to the cent); an empty platform SKU is none.
    assert s.lines == (Line(("45510001", "8800101"), "BOL-BRETON-BLEU", 3, 1250 - 167, "15222010"),
                       Line(("45510077", "8800177"), None, 1, 2400, "15222011"))
    assert s.methods == ("colissimo-domicile", "Colissimo à domicile")
    assert s.address is not None
    assert (s.address.line1, s.address.postal_code, s.address.city, s.address.country) == (
        "27 quai de la Fosse 3e étage", "44000", "Nantes", "FR")
    assert (s.address.lat, s.address.lng) == (47.2115, -1.5663)


@pytest.mark.parametrize(("financial_status", "paid", "cancelled"), [
    ("paid", True, False), ("authorized", True, False), ("partially_refunded", True, False),
    ("pending", False, False), ("partially_paid", False, False), ("voided", False, True),
    ("refunded", False, True)])
def test_a_shopify_order_is_paid_once_its_payment_is_taken_or_authorised(financial_status, paid, cancelled):
    s = read(Kind.SHOPIFY, {**fixture("shopify_order.json"), "financial_status": financial_status})
    assert (s.paid, s.cancelled) == (paid, cancelled)


def test_a_shopify_price_written_without_its_tax_has_it_added():
    body = fixture("shopify_order.json")
    body["taxes_included"] = False
    body["line_items"][1]["tax_lines"] = [{"price": "4.80", "rate": 0.2, "title": "TVA"}]
    assert read(Kind.SHOPIFY, body).lines[1].unit_price == 2400 + 480


def test_a_shopify_order_cancelled_on_the_platform_reads_cancelled():
    body = {**fixture("shopify_order.json"), "cancelled_at": "2026-12-06T08:00:00+01:00", "cancel_reason": "customer"}
    assert read(Kind.SHOPIFY, body).cancelled


def test_a_woocommerce_order_reads_its_gmt_time_and_what_each_unit_costs_with_its_tax():
    s = read(Kind.WOOCOMMERCE, fixture("woocommerce_order.json"))
    assert s.ref == "10432" and s.paid and not s.cancelled
    assert s.updated_at == datetime(2026, 12, 5, 21, 4, 2, tzinfo=UTC)  # (date_modified_gmt has no offset)
    # 83.25 + 16.65 tax for two lamps; the variation 0 of a simple product is no reference.
    assert s.lines == (Line(("912",), "LAMPE-ZINC", 2, 4995, "5521"),)
    assert s.methods == ("flat_rate", "Livraison à domicile")
    assert s.address is not None and (s.address.lat, s.address.lng) == (None, None)
    assert (s.address.postal_code, s.address.city, s.name) == ("33000", "Bordeaux", "Antoine Girard")


@pytest.mark.parametrize(("status", "paid", "cancelled"), [
    ("pending", False, False), ("on-hold", False, False), ("failed", False, False), ("processing", True, False),
    ("completed", True, False), ("cancelled", False, True), ("refunded", False, True)])
def test_a_woocommerce_status_says_whether_it_is_paid_or_cancelled(status, paid, cancelled):
    s = read(Kind.WOOCOMMERCE, {**fixture("woocommerce_order.json"), "status": status})
    assert (s.paid, s.cancelled) == (paid, cancelled)


def test_an_amount_in_a_currency_without_minor_units_is_not_multiplied():
    body = fixture("shopify_order.json")
    body["currency"] = "JPY"
    body["line_items"] = [{**body["line_items"][1], "price": "2400"}]
    assert read(Kind.SHOPIFY, body).lines[0].unit_price == 2400


def _broken(path: list, value) -> dict:
    body = copy.deepcopy(fixture("shopify_order.json"))
    target = body
    for key in path[:-1]:
        target = target[key]
    if value is ...:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return body


@pytest.mark.parametrize(("path", "value", "named"), [
    (["id"], ..., "id"),
    (["id"], True, "id"),
    (["updated_at"], "2026-12-05T21:47:12", "updated_at"),
    (["updated_at"], "yesterday", "updated_at"),
    (["line_items"], [], "line_items"),
    (["line_items", 0, "quantity"], 0, "line_items.0.quantity"),
    (["line_items", 0, "quantity"], "3", "line_items.0.quantity"),
    (["line_items", 1, "price"], "douze", "line_items.1.price"),
    (["line_items", 1, "price"], "-1.00", "line_items.1.price"),
    (["line_items", 1, "price"], "NaN", "line_items.1.price"),
    (["currency"], "euro", "currency"),
    (["shipping_address", "zip"], "", "shipping_address.zip"),
    (["shipping_address", "country_code"], "France", "shipping_address.country_code"),
    (["shipping_address"], "27 quai de la Fosse", "shipping_address"),
    (["line_items", 0, "discount_allocations"], 5, "line_items.0.discount_allocations"),
    (["line_items", 0, "discount_allocations"], [{"amount": "cinq"}], "line_items.0.discount_allocations"),
])
def test_a_record_that_is_not_an_order_names_the_field(path, value, named):
    body = _broken(path, value)
    with pytest.raises(Unreadable, match=f"^{named}:"):
        read(Kind.SHOPIFY, body)


def test_a_record_without_an_email_names_it():
    body = _broken(["email"], ...)
    del body["contact_email"]
    del body["customer"]["email"]
    with pytest.raises(Unreadable, match="^email:"):
        read(Kind.SHOPIFY, body)


def test_coordinates_out_of_range_or_unreadable_are_none_not_wrong():
    body = _broken(["shipping_address", "latitude"], "north")
    body["shipping_address"]["longitude"] = 540
    s = read(Kind.SHOPIFY, body)
    assert s.address is not None and (s.address.lat, s.address.lng) == (None, None)


def test_a_record_that_is_no_object_is_unreadable():
    with pytest.raises(Unreadable, match="not a JSON object"):
        read(Kind.SHOPIFY, [1, 2])


def test_a_mirakl_order_waiting_acceptance_reads_with_its_lines_to_decide():
    s = read(Kind.MIRAKL, fixture("mirakl_order.json"))
    assert (s.ref, s.updated_at) == ("MKP-20261207-0042-A", datetime(2026, 12, 7, 8, 12, 41, 7000, tzinfo=UTC))
    assert (s.decide, s.paid, s.cancelled, s.point) == (True, False, False, None)
    assert (s.name, s.email, s.currency) == ("Inès Garnier", "k7q2xw0b4v-ma1@marketplace-mail.example", "EUR")
    assert s.lines == (Line(("2208841", "PRD-771205"), "MUG-GRES-350", 2, 1290, "MKP-20261207-0042-A-1"),
                       Line(("2208907", "PRD-771388"), "TAPIS-JUTE-160", 6, 12900, "MKP-20261207-0042-A-2"))
    assert s.methods == ("STD", "Livraison standard")
    assert s.address is not None
    assert (s.address.line1, s.address.postal_code, s.address.country) == (
        "14 quai de la Fosse Appartement 3", "44000", "FRA")  # (alpha-3: made alpha-2 when captured)


def test_a_mirakl_order_debited_is_paid_its_refused_lines_left_out_and_its_relay_point_kept():
    body = fixture("mirakl_order.json")
    body.update(order_state="SHIPPING", shipping_pudo_id="PR-044120")
    body["order_lines"][1]["order_line_state"] = "REFUSED"
    s = read(Kind.MIRAKL, body)
    assert (s.decide, s.paid, s.point) == (False, True, "PR-044120")
    assert [line.item for line in s.lines] == ["MKP-20261207-0042-A-1"]
    body.update(order_state="CANCELED")
    body["order_lines"][0]["order_line_state"] = "CANCELED"
    assert read(Kind.MIRAKL, body).cancelled and read(Kind.MIRAKL, body).lines == ()


@pytest.mark.parametrize(("path", "value", "named"), [
    (["order_state"], "STAGING", "order_state"),
    (["customer_notification_email"], None, "customer_notification_email"),
    (["customer", "shipping_address", "country_iso_code"], "FRANCE", "customer.shipping_address.country_iso_code"),
    (["order_lines", 1, "price"], "-3", "order_lines.1.price"),
    (["last_updated_date"], "2026-12-07 08:12", "last_updated_date"),
])
def test_a_mirakl_record_that_is_not_an_order_names_the_field(path, value, named):
    body = fixture("mirakl_order.json")
    into = body
    for key in path[:-1]:
        into = into[key]
    into[path[-1]] = value
    with pytest.raises(Unreadable, match=f"^{named}:"):
        read(Kind.MIRAKL, body)


def _presta(**along) -> dict:
    body = fixture("prestashop_order.json")
    body["read_along"] = {"updated_at": "2026-12-07T09:41:18+01:00", "currency": "EUR", "carrier": "Colissimo",
                          "customer": {"email": "camille.roux@example.fr", "firstname": "Camille", "lastname": "Roux"},
                          "address": {"firstname": "Camille", "lastname": "Roux", "address1": "3 rue Paul Bert",
                                      "postcode": "69003", "city": "Lyon", "country_iso_code": "FR"}, **along}
    return body


def test_a_prestashop_order_reads_with_what_was_read_along_it():
    s = read(Kind.PRESTASHOP, _presta())
    assert (s.ref, s.updated_at, s.paid, s.cancelled) == ("1842", datetime(2026, 12, 7, 8, 41, 18, tzinfo=UTC),
                                                          True, False)
    assert s.lines == (Line(("1207", "318"), "MUG-GRES-350", 2, 1290, "4401"),
                       Line(("322",), "LAMPE-ZINC", 1, 2760, "4402"))
    assert (s.name, s.email, s.currency, s.methods) == ("Camille Roux", "camille.roux@example.fr", "EUR",
                                                        ("12", "Colissimo"))
    assert s.address is not None and (s.address.postal_code, s.address.country) == ("69003", "FR")
    assert read(Kind.PRESTASHOP, {**_presta(), "valid": "0", "current_state": "6"}).cancelled


@pytest.mark.parametrize(("along", "named"), [
    ({"updated_at": None}, "read_along.updated_at"),
    ({"currency": None}, "read_along.currency"),
    ({"customer": {}}, "read_along.customer.email"),
])
def test_a_prestashop_order_without_what_is_read_along_names_it(along, named):
    with pytest.raises(Unreadable, match=f"^{named}:"):
        read(Kind.PRESTASHOP, _presta(**along))


def test_an_order_the_platform_has_sent_already_says_so():
    assert read(Kind.SHOPIFY, {**fixture("shopify_order.json"), "fulfillment_status": "fulfilled"}).done
    assert not read(Kind.SHOPIFY, {**fixture("shopify_order.json"), "fulfillment_status": "partial"}).done
    assert read(Kind.WOOCOMMERCE, {**fixture("woocommerce_order.json"), "status": "completed"}).done
    assert read(Kind.PRESTASHOP, {**_presta(), "current_state": "5"}).done
    assert read(Kind.MIRAKL, {**fixture("mirakl_order.json"), "order_state": "RECEIVED"}).done
    assert not read(Kind.MIRAKL, {**fixture("mirakl_order.json"), "order_state": "SHIPPING"}).done
