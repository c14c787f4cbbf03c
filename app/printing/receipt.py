"""Order receipts as ESC/POS bytes for 58mm Chinese thermal printers.

python-escpos supplies the command bytes (init, alignment, size, cut), but its own text encoding
only switches to a Chinese code page when a line holds an ideograph, so "￥12.00" alone would print
as "?". Every text line is therefore encoded here with the printer's GB codec and written raw.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from escpos.printer import Dummy

# FS &: enter Chinese character mode, so double-byte GB sequences print as Hanzi.
CHINESE_MODE_ON = b"\x1c\x26"
# Codecs whose bytes a Chinese ESC/POS printer understands in Chinese character mode.
CHINESE_CODECS = frozenset({"gb18030", "gbk", "gb2312"})
PAPER_COLUMNS = 32
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class ReceiptLine:
    """One ordered item as it appears on paper."""

    name: str
    spec: str
    quantity: int
    unit_price_fen: int
    line_fen: int


@dataclass(frozen=True)
class Receipt:
    """Everything a ticket prints; built by the caller so rendering needs no database."""

    store_name: str
    order_no: str
    created_at: datetime  # already in local time
    items: list[ReceiptLine]
    goods_fen: int
    delivery_fee_fen: int
    total_fen: int
    payment_label: str
    contact_name: str
    contact_phone: str
    address: str
    remark: str
    title: str = ""
    deliver_at: str = ""  # the delivery slot the buyer chose, in local time ("12-01 11:00–11:30")


def display_width(text: str) -> int:
    """Columns the text takes on paper: wide and ambiguous characters print from the GB font."""
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        # Ambiguous characters (×, —, ①, é) are double-byte in GB codecs, hence two columns.
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F", "A") else 1
    return width


def wrap_to_width(text: str, width: int) -> list[str]:
    """Break text into rows of at most `width` columns; Chinese has no spaces to break at."""
    rows: list[str] = []
    row, used = "", 0
    for char in text:
        char_width = display_width(char)
        if row and used + char_width > width:
            rows.append(row)
            row, used = "", 0
        row += char
        used += char_width
    rows.append(row)
    return rows


def format_money(fen: int) -> str:
    """Integer fen to "￥12.00" without going through floats."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}￥{yuan}.{cents:02d}"


def spread(left: str, right: str, width: int) -> list[str]:
    """Left text wrapped, right text flush right on the last row (or a row of its own)."""
    rows = wrap_to_width(left, width)
    right_width = display_width(right)
    if right_width > width:
        return rows + wrap_to_width(right, width)
    gap = width - display_width(rows[-1]) - right_width
    if gap >= (1 if rows[-1] else 0):
        rows[-1] = rows[-1] + " " * gap + right
    else:
        rows.append(" " * (width - right_width) + right)
    return rows


def clean_text(text: str) -> str:
    """Printable text only: a buyer's remark must not smuggle ESC/POS commands onto the printer."""
    text = text.replace("\r\n", "\n").replace("\t", " ").replace("¥", "￥")
    return "".join(
        char for char in text if char == "\n" or unicodedata.category(char) not in ("Cc", "Cf")
    )


def printer_codec(encoding: str) -> str:
    """Canonical codec name, refusing anything a Chinese ESC/POS printer would print as garbage."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        name = ""
    if name not in CHINESE_CODECS:
        raise ValueError(f"不支持的打印机编码：{encoding}")
    return name


class _Ticket:
    """Collects command bytes from python-escpos and text bytes encoded by ourselves."""

    def __init__(self, encoding: str, width: int) -> None:
        self.codec = printer_codec(encoding)
        self.width = width
        self.scale = 1
        self.printer = Dummy()
        self.printer.hw("INIT")
        self.printer._raw(CHINESE_MODE_ON)

    def style(self, align: str = "left", bold: bool = False, scale: int = 1) -> None:
        # GS ! (custom_size) scales Hanzi too; ESC ! (double_width) leaves them small on many
        # Chinese printers, and normal_textsize would not undo GS !, so size is always set here.
        self.printer.set(align=align, bold=bold, custom_size=True, width=scale, height=scale)
        self.scale = scale

    def text(self, text: str) -> None:
        """Print text, wrapped to the paper width at the current character size."""
        for paragraph in clean_text(text).split("\n"):
            self.rows(wrap_to_width(paragraph, self.width // self.scale))

    def rows(self, rows: list[str]) -> None:
        for row in rows:
            self.printer._raw(row.encode(self.codec, errors="replace") + b"\n")

    def pair(self, left: str, right: str) -> None:
        self.rows(spread(clean_text(left), clean_text(right), self.width // self.scale))

    def rule(self) -> None:
        self.rows(["-" * (self.width // self.scale)])

    def finish(self) -> bytes:
        """Feed past the tear bar and cut fully, then hand back the whole stream."""
        self.style()
        self.printer.cut()
        return self.printer.output


def render_receipt(
    receipt: Receipt, encoding: str = "gb18030", width: int = PAPER_COLUMNS
) -> bytes:
    """The order ticket a store's printer produces when an order arrives."""
    ticket = _Ticket(encoding, width)
    ticket.style(align="center", bold=True, scale=2)
    ticket.text(receipt.store_name)
    if receipt.title:
        ticket.text(receipt.title)
    ticket.style()
    ticket.text(f"订单号：{receipt.order_no}")
    ticket.text(f"下单时间：{receipt.created_at:%Y-%m-%d %H:%M}")
    if receipt.deliver_at:
        ticket.style(bold=True)
        ticket.text(f"预约送达：{receipt.deliver_at}")
        ticket.style()
    ticket.rule()
    for item in receipt.items:
        ticket.text(f"{item.name} {item.spec}" if item.spec else item.name)
        ticket.pair(f"x{item.quantity}", format_money(item.line_fen))
    ticket.rule()
    ticket.pair("商品金额", format_money(receipt.goods_fen))
    ticket.pair("配送费", format_money(receipt.delivery_fee_fen))
    ticket.style(bold=True)
    ticket.pair("合计", format_money(receipt.total_fen))
    ticket.style()
    ticket.text(f"支付方式：{receipt.payment_label}")
    ticket.rule()
    for label, value in (
        ("收货人", receipt.contact_name),
        ("电话", receipt.contact_phone),
        ("地址", receipt.address),
    ):
        if value:
            ticket.text(f"{label}：{value}")
    if receipt.remark:
        ticket.style(bold=True)
        ticket.text(f"备注：{receipt.remark}")
    return ticket.finish()


def render_test_page(
    store_name: str, encoding: str = "gb18030", printed_at: datetime | None = None
) -> bytes:
    """A short ticket for the store's 测试打印 button: proves Chinese, money and the cutter work."""
    printed_at = printed_at or datetime.now(SHANGHAI)
    ticket = _Ticket(encoding, PAPER_COLUMNS)
    ticket.style(align="center", bold=True, scale=2)
    ticket.text(store_name)
    ticket.style(align="center")
    ticket.text(f"测试打印 {format_money(0)}")
    ticket.text(f"{printed_at:%Y-%m-%d %H:%M:%S}")
    ticket.text("看到本小票说明打印机连接正常")
    return ticket.finish()
