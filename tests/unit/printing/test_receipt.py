"""What a store sees on paper, checked through a real loopback socket where it matters."""

from __future__ import annotations

import socket
import time
from dataclasses import replace
from datetime import datetime

import pytest
from escpos.printer import Dummy

from app.printing.receipt import (
    Receipt,
    ReceiptLine,
    display_width,
    format_money,
    render_receipt,
    render_test_page,
    wrap_to_width,
)
from app.printing.transport import PrinterUnreachable, send_to_printer
from tests.support.printer import PrinterListener, printed_lines


def _cut_bytes() -> bytes:
    printer = Dummy()
    printer.cut()
    return printer.output


def make_receipt(**overrides: object) -> Receipt:
    receipt = Receipt(
        store_name="好尚川菜馆",
        order_no="202405011230001",
        created_at=datetime(2024, 5, 1, 12, 30),
        items=[
            ReceiptLine("宫保鸡丁", "大份", 1, 1200, 1200),
            ReceiptLine("米饭", "", 2, 200, 400),
        ],
        goods_fen=1600,
        delivery_fee_fen=500,
        total_fen=2100,
        payment_label="微信支付",
        contact_name="张三",
        contact_phone="13800138000",
        address="上海市浦东新区世纪大道100号",
        remark="少放辣",
        title="#新订单",
    )
    return replace(receipt, **overrides)


def print_over_tcp(data: bytes) -> bytes:
    with PrinterListener() as printer:
        send_to_printer(printer.host, printer.port, data)
        return printer.wait_for(1)[0]


def texts(data: bytes, encoding: str = "gb18030") -> list[str]:
    return [line.text for line in printed_lines(data, encoding)]


def test_printer_receives_exactly_the_rendered_ticket():
    data = render_receipt(make_receipt())
    assert print_over_tcp(data) == data


def test_printed_ticket_carries_order_number_and_item_names_in_gb18030():
    received = print_over_tcp(render_receipt(make_receipt()))
    assert b"202405011230001" in received
    assert "宫保鸡丁".encode("gb18030") in received
    assert "米饭".encode("gb18030") in received


def test_money_alone_on_a_line_prints_as_yuan_sign_not_question_mark():
    received = print_over_tcp(render_receipt(make_receipt()))
    assert "￥12.00".encode("gb18030") in received
    assert b"?" not in received


def test_printed_ticket_ends_with_the_full_cut_command():
    cut = _cut_bytes()
    assert cut.endswith(b"\x1dV\x00")
    assert print_over_tcp(render_receipt(make_receipt())).endswith(cut)


def test_ticket_enters_chinese_mode_right_after_init():
    assert render_receipt(make_receipt()).startswith(b"\x1b@\x1c\x26")


def test_halfwidth_yen_sign_is_printed_as_fullwidth():
    receipt = make_receipt(items=[ReceiptLine("¥9.9特价套餐", "", 1, 990, 990)])
    data = render_receipt(receipt)
    assert "¥".encode("gb18030") not in data
    assert "￥9.9特价套餐" in texts(data)


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_all_chinese_ticket_has_no_replacement_question_marks(encoding):
    assert b"?" not in render_receipt(make_receipt(), encoding=encoding)


def test_gbk_printer_gets_gbk_text_for_names_and_money():
    lines = texts(render_receipt(make_receipt(), encoding="gbk"), "gbk")
    assert "宫保鸡丁 大份" in lines
    assert "合计" + " " * 21 + "￥21.00" in lines


def test_ticket_layout_reads_top_to_bottom():
    lines = texts(render_receipt(make_receipt()))
    assert lines[:4] == [
        "好尚川菜馆",
        "#新订单",
        "订单号：202405011230001",
        "下单时间：2024-05-01 12:30",
    ]
    assert "x1" + " " * 23 + "￥12.00" in lines
    assert "配送费" + " " * 20 + "￥5.00" in lines
    assert "支付方式：微信支付" in lines
    assert lines[-1] == "备注：少放辣"


def test_money_lines_are_flush_right_on_32_columns():
    lines = [line for line in texts(render_receipt(make_receipt())) if line.endswith(".00")]
    assert lines
    assert all(display_width(line) == 32 for line in lines)


def test_long_names_and_address_wrap_within_the_paper_width():
    receipt = make_receipt(
        store_name="好尚川菜馆（上海浦东世纪大道旗舰店）",
        items=[
            ReceiptLine("秘制招牌麻辣香锅加量不加价超值套餐", "特大份 加麻加辣", 3, 8800, 26400)
        ],
        address="上海市浦东新区世纪大道100号环球金融中心B座地下一层美食广场",
        remark="请多放一些香菜，不要葱，谢谢老板 Thanks a lot for the extra napkins",
    )
    lines = printed_lines(render_receipt(receipt))
    assert all(display_width(line.text) * line.scale <= 32 for line in lines)
    assert sum(line.text.startswith("秘制") for line in lines) == 1


def test_wrapper_counts_hanzi_as_two_columns():
    assert wrap_to_width("宫保鸡丁ab", 5) == ["宫保", "鸡丁a", "b"]
    assert display_width("￥12.00") == 7


def test_format_money_uses_exact_fen():
    assert [format_money(fen) for fen in (1200, 5, 0, -150)] == [
        "￥12.00",
        "￥0.05",
        "￥0.00",
        "-￥1.50",
    ]


def test_control_bytes_in_a_remark_do_not_reach_the_printer_as_commands():
    data = render_receipt(make_receipt(remark="少放辣\x1dV\x00\x1b@"))
    assert data.count(b"\x1dV") == 1
    assert texts(data)[-1] == "备注：少放辣V@"


def test_remark_section_is_left_out_when_buyer_wrote_none():
    assert not any(
        line.startswith("备注") for line in texts(render_receipt(make_receipt(remark="")))
    )


def test_encoding_a_chinese_printer_cannot_read_is_refused():
    with pytest.raises(ValueError):
        render_receipt(make_receipt(), encoding="utf-8")


def test_test_page_shows_store_zero_money_time_and_cuts():
    data = render_test_page("好尚川菜馆", printed_at=datetime(2024, 5, 1, 9, 5, 7))
    lines = texts(data)
    assert lines[:3] == ["好尚川菜馆", "测试打印 ￥0.00", "2024-05-01 09:05:07"]
    assert data.endswith(_cut_bytes())


def test_test_page_reaches_a_gbk_printer_intact():
    data = render_test_page("好尚川菜馆", encoding="gbk")
    assert "测试打印 ￥0.00".encode("gbk") in print_over_tcp(data)


def test_closed_port_raises_printer_unreachable_quickly():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(PrinterUnreachable, match=f"127.0.0.1:{port}"):
        send_to_printer("127.0.0.1", port, b"\x1b@", timeout=2)
    assert time.monotonic() - started < 1


def test_a_chosen_delivery_slot_is_printed_under_the_order_time():
    lines = texts(render_receipt(make_receipt(deliver_at="12-01 11:00–11:30")))
    assert lines.index("预约送达：12-01 11:00–11:30") == 1 + next(
        i for i, line in enumerate(lines) if line.startswith("下单时间")
    )
    assert not any("预约送达" in line for line in texts(render_receipt(make_receipt())))
