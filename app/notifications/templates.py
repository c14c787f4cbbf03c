"""SMS templates by name, with the exact wording from the source documents (SPEC §4, §7)."""

from __future__ import annotations

SMS_TEMPLATES: dict[str, str] = {
    "member_approved": "您的账号已通过审核，请刷新小程序，可获得内部批发价格。",
    "new_order": "有新订单{n}，请尽快登录小程序业务管理查看处理。",
    "driver_assigned": "您的订单{no} 待送货，请及时办理出库和送货。",
    "order_shipping": "您的订单{no} 正在发货中，司机或物流信息可在“待收货”中查看。",
    "verify_code": "您的验证码为{code}，5分钟内有效，请勿泄露给他人。",
    "member_rejected": "您的会员资料未通过审核，原因：{reason}。请修改后重新提交。",
    "store_approved": "您的开店申请已通过审核，店铺“{store}”已开通，请登录商家后台完善店铺资料。",
    "store_rejected": "您的开店申请未通过审核，原因：{reason}。请修改后重新提交。",
}
# Templates whose parameters are secrets: pages that list sent messages show them masked.
SECRET_PARAMS: dict[str, tuple[str, ...]] = {"verify_code": ("code",)}


def render_sms(template: str, params: dict) -> str:
    return SMS_TEMPLATES[template].format(**params)
