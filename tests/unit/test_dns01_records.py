"""The DNS-01 values in status.order.dnsRecords: kept across writes of the order, read back, and the
Issuing condition while the nameservers do not serve them yet."""

from __future__ import annotations

from evercert.certificates.status import DnsRecord, StoredOrder, dns_records_field, order_field, parse_status

RECORD = DnsRecord("_acme-challenge.x.dns01.test.", "dns01.test.", "v1", "*.x.dns01.test", 1)


def test_records_round_trip_through_status() -> None:
    order = StoredOrder("https://ca/order/1", ("*.x.dns01.test",), "ClusterIssuer/dns", "k", (RECORD,))
    assert parse_status(order_field(order)).order == order


def test_an_order_written_without_records_leaves_the_stored_ones_alone() -> None:
    order = StoredOrder("https://ca/order/2", ("x.dns01.test",), "ClusterIssuer/dns")
    assert "dnsRecords" not in order_field(order)["order"]  # a merge patch keeps what is there


def test_the_records_field_patches_only_the_list_and_an_empty_list_removes_it() -> None:
    assert dns_records_field([RECORD]) == {"order": {"dnsRecords": [RECORD.to_status()]}}
    assert dns_records_field([]) == {"order": {"dnsRecords": None}}


def test_what_the_check_saw_is_kept_and_bad_entries_are_skipped() -> None:
    raw = {
        "url": "https://ca/order/3",
        "dnsRecords": [{**RECORD.to_status(), "seen": "ns (127.0.0.1:53): NXDOMAIN"}, {"fqdn": "broken"}],
    }
    (record,) = parse_status({"order": raw}).order.dns_records  # type: ignore[union-attr]
    assert record.seen == "ns (127.0.0.1:53): NXDOMAIN" and record.key == RECORD.key
