"""SMS templates by name, with the exact wording from the source documents (SPEC §4, §7)."""

from __future__ import annotations

SMS_TEMPLATES: dict[str, str] = {
    "member_approved": "您的账号已通过审核，请刷新小程序，可获得内部批发价格。",
    "new_order": "有新订单{n}，请尽快登录小程序业务管理查看处理。",
    "driver_assigned": "您的订单{no} 待送货，请及时办理出库和送货。",
    "order_shipping": "您的订单{no} 正在发货中，司机或物流信息可在“待收货”中查看。",
}


def render_sms(template: str, params: dict) -> str:
    return SMS_TEMPLATES[template].format(**params)
