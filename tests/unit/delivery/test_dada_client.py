"""The Dada client against the protocol: the envelope and its signature (known answers worked
out by hand with md5sum), money at the border, and the stand-in refusing what Dada refuses."""

from __future__ import annotations

import json
import socket
from types import SimpleNamespace

import pytest

from app.delivery.dada.client import (
    DadaClient,
    DadaRefused,
    DadaSettings,
    DadaUnavailable,
    callback_signature,
    envelope,
    fen_to_yuan,
    sign,
    yuan_to_fen,
)
from app.delivery.dada.standin import DadaStandin

# printf '%s' 's3cretapp_keydada-test-keybody{"order_id":"A1"}formatjsonsource_id73753
#   timestamp1700000000v1.0s3cret' | md5sum  (one line), upper-cased
KNOWN_SIGNATURE = "B29CCF13A6DEBFD1AF32C75C2B15576F"
# printf '%s' '170000000090000001A1' | md5sum: the three values sorted as text, joined
KNOWN_CALLBACK_SIGNATURE = "fe6b8cc269e5bc3836b579e993d91997"


def _settings(url: str, secret: str = "dada-standin-app-secret") -> DadaSettings:
    return DadaSettings(
        app_key="dada-standin-app-key",
        app_secret=secret,
        source_id="73753",
        base_url=url,
        timeout=2,
        local=True,
    )


def test_the_request_signature_matches_the_md5_worked_out_by_hand():
    fields = {
        "app_key": "dada-test-key",
        "body": '{"order_id":"A1"}',
        "format": "json",
        "timestamp": "1700000000",
        "v": "1.0",
        "source_id": "73753",
    }
    assert sign(fields, "s3cret") == KNOWN_SIGNATURE
    assert sign({**fields, "signature": "ignored"}, "s3cret") == KNOWN_SIGNATURE


def test_the_envelope_sends_the_business_json_as_a_string_and_signs_it():
    sent = envelope({"order_id": "A1"}, "dada-test-key", "s3cret", "73753", timestamp=1700000000)
    assert sent["body"] == '{"order_id":"A1"}' and isinstance(sent["body"], str)
    assert (sent["format"], sent["v"], sent["timestamp"]) == ("json", "1.0", "1700000000")
    assert sent["signature"] == KNOWN_SIGNATURE


def test_the_callback_signature_is_the_md5_of_the_sorted_values():
    assert callback_signature("90000001", "A1", 1700000000) == KNOWN_CALLBACK_SIGNATURE
    assert callback_signature("A1", 1700000000, "90000001") == KNOWN_CALLBACK_SIGNATURE


def test_money_crosses_the_border_in_yuan_and_comes_back_in_fen():
    assert yuan_to_fen(8.5) == 850 and yuan_to_fen("12.34") == 1234 and yuan_to_fen(None) == 0
    assert yuan_to_fen(0.125) == 13  # half up to the fen
    assert fen_to_yuan(850) == 8.5 and json.dumps(fen_to_yuan(1234)) == "12.34"


def test_the_stand_in_answers_a_signed_request():
    with DadaStandin(balance_fen=12_345) as dada:
        assert DadaClient(_settings(dada.url)).balance() == 12_345


def test_a_wrong_secret_is_refused_with_dadas_message():
    with DadaStandin() as dada, pytest.raises(DadaRefused) as refused:
        DadaClient(_settings(dada.url, secret="wrong")).balance()
    assert refused.value.dada_msg == "签名错误"
    assert "达达：签名错误" in refused.value.message


def test_a_stale_timestamp_is_refused(monkeypatch):
    with DadaStandin() as dada:
        # the client's clock only (the stand-in keeps the real one)
        monkeypatch.setattr("app.delivery.dada.client.time", SimpleNamespace(time=lambda: 1e9))
        with pytest.raises(DadaRefused) as refused:
            DadaClient(_settings(dada.url)).balance()
    assert "过期" in refused.value.dada_msg


def test_no_answer_is_unavailable_not_a_refusal():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DadaUnavailable) as unavailable:
        DadaClient(_settings(f"http://127.0.0.1:{port}")).balance()
    assert unavailable.value.message == "达达暂时无法连接，请稍后再试"


def test_a_stand_in_that_is_down_answers_502_and_the_client_says_unavailable():
    with DadaStandin() as dada:
        dada.down = True
        with pytest.raises(DadaUnavailable):
            DadaClient(_settings(dada.url)).cancel_reasons()


def test_cancel_reasons_come_from_dada_with_other_last():
    with DadaStandin() as dada:
        reasons = DadaClient(_settings(dada.url)).cancel_reasons()
    assert reasons[0].reason == "没有配送员接单" and reasons[-1].id == 10000
