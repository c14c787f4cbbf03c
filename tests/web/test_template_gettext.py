"""The templates' `_` and `ngettext` (app.web.i18n) read as Jinja's newstyle gettext did."""

from __future__ import annotations

from flask import render_template_string


def test_translations_escape_their_values_and_read_percent_signs_once(app):
    with app.test_request_context("/"):
        page = render_template_string(
            '{{ _("佣金 %(rate)s%%", rate="<b>5</b>") }}|{{ _("满100%%") }}|{{ _("订单") }}|'
            '{{ ngettext("共 %(num)s 个订单", "共 %(num)s 个订单", 3) }}|'
            '{{ ngettext("共 %(num)s 个订单", "共 %(num)s 个订单", 1200, num="1000+") }}'
        )
    assert page == "佣金 &lt;b&gt;5&lt;/b&gt;%|满100%|订单|共 3 个订单|共 1000+ 个订单"
