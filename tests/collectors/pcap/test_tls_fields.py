"""TLS ClientHello fields from tshark columns, including JA4 when tshark has it."""

from __future__ import annotations

from collectors.pcap.fields import AGGREGATOR, COL, JA4_COL, N_FIELDS
from collectors.pcap.tls import client_hello_fields, offered_version


def row(**values: str) -> list[str]:
    cols = [""] * N_FIELDS
    for name, value in values.items():
        cols[COL[name]] = value
    return cols


def test_ja4_is_read_when_tshark_prints_it() -> None:
    cols = row(**{"tls.handshake.type": "1", "tls.handshake.version": "0x0303",
                  "tls.handshake.extensions_server_name": "cantho.gov.vn"})
    cols.append("t13d1516h2_8daaf6152771_02713d6af862")  # JA4 column (tshark >= 4.2)
    assert len(cols) == JA4_COL + 1
    fields = client_hello_fields(cols)
    assert fields is not None
    assert fields["tls.client.ja4"] == "t13d1516h2_8daaf6152771_02713d6af862"
    assert fields["tls.version"] == "1.2"
    assert client_hello_fields(cols[:N_FIELDS])["tls.client.ja4"] is None  # type: ignore[index]


def test_server_hello_is_not_a_client_hello() -> None:
    assert client_hello_fields(row(**{"tls.handshake.type": f"2{AGGREGATOR}11"})) is None


def test_versions() -> None:
    assert offered_version("0x0303", f"0x7a7a{AGGREGATOR}0x0304{AGGREGATOR}0x0303") == (
        "tls", "1.3")
    assert offered_version("0x0300", "") == ("ssl", "3.0")
    assert offered_version("junk", "") is None
