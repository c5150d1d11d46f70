"""TLS ClientHello fields from tshark columns, including JA4 when tshark has it."""

from __future__ import annotations

import pytest

from collectors.pcap.fields import AGGREGATOR, COL, JA4_COL, N_FIELDS
from collectors.pcap.ja4 import ja4
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
    # Without tshark's column, it is computed from the (here empty) ingredients.
    computed = client_hello_fields(cols[:N_FIELDS])["tls.client.ja4"]  # type: ignore[index]
    assert computed == "t12i000000_000000000000_000000000000"


# FoxIO's published JA4 example (a Chrome ClientHello): its 15 ciphers, its 16
# extensions (SNI and ALPN among them) and 8 signature algorithms, ALPN h2.
CHROME_CIPHERS = ["1301", "1302", "1303", "c02b", "c02f", "c02c", "c030", "cca9", "cca8", "c013", "c014", "009c", "009d", "002f", "0035"]
CHROME_EXTENSIONS = (0x001B, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002D, 0x000D, 0x0005,
                     0x0023, 0x0012, 0x002B, 0xFF01, 0x000B, 0x000A, 0x0015)
CHROME_SIGS = ["0403", "0804", "0401", "0503", "0805", "0501", "0806", "0601"]


def chrome(**over) -> dict:
    args = {"quic": False, "legacy_version": "0x0303",
            "supported_versions": ["0x2a2a", "0x0304", "0x0303"],
            "ciphers": ["0x8a8a", *(f"0x{c}" for c in CHROME_CIPHERS)],
            "extensions": ["14906", *(str(e) for e in CHROME_EXTENSIONS)],
            "signature_algorithms": [f"0x{s}" for s in CHROME_SIGS], "alpn": ["h2", "http/1.1"]}
    return args | over


def test_ja4_matches_the_published_example_with_grease_ignored() -> None:
    assert ja4(**chrome()) == "t13d1516h2_8daaf6152771_e5627efa2ab1"


def test_ja4_parts_follow_the_hello() -> None:
    no_sni = [e for e in chrome()["extensions"] if e != "0"]
    assert ja4(**chrome(extensions=no_sni)).startswith("t13i1515h2_8daaf6152771_")
    assert ja4(**chrome(quic=True)).startswith("q13d")
    assert ja4(**chrome(supported_versions=[], legacy_version="0x0301")).startswith("t10d")
    assert ja4(**chrome(alpn=[])).startswith("t13d151600_")
    # Not alphanumeric at either end: the hex text's ends ("-h2-" = 2d68322d).
    assert ja4(**chrome(alpn=["-h2-"])).startswith("t13d15162d_")
    # Signature algorithms: in the order offered (not sorted).
    assert ja4(**chrome()) != ja4(**chrome(signature_algorithms=[f"0x{s}" for s in
                                                                  sorted(CHROME_SIGS)]))
    # Ciphers and extensions: sorted, so their order does not matter.
    assert ja4(**chrome()) == ja4(**chrome(ciphers=chrome()["ciphers"][::-1]))
    assert ja4(**chrome(ciphers=[], extensions=[], signature_algorithms=[], alpn=[])) == (
        "t13i000000_000000000000_000000000000")


def test_server_hello_is_not_a_client_hello() -> None:
    assert client_hello_fields(row(**{"tls.handshake.type": f"2{AGGREGATOR}11"})) is None


def test_versions() -> None:
    assert offered_version("0x0303", f"0x7a7a{AGGREGATOR}0x0304{AGGREGATOR}0x0303") == (
        "tls", "1.3")
    assert offered_version("0x0300", "") == ("ssl", "3.0")
    assert offered_version("junk", "") is None


def test_ja4_on_a_real_capture_agrees_with_an_independent_implementation(shared_data) -> None:
    """The SMTP-over-TLS ClientHello in a public capture: the value the
    independent ``ja4plus`` 1.4.0 gives for it from the raw packet."""
    from collectors.pcap.reader import read_pcap

    pcap = shared_data / "network" / "pcaps-chrissanders" / "mail_receiver_server_3.pcapng"
    if not pcap.is_file():
        pytest.skip(f"{pcap} absent: the public capture is not on this machine")
    hellos = [ev for ev in read_pcap(pcap, f"file:{pcap}")
              if isinstance(ev, dict) and ev["event"]["dataset"] == "pcap.tls"]
    assert [ev["tls"]["client"]["ja4"] for ev in hellos] == [
        "t12d110700_43e74fd21232_59521bda5dd1"]
