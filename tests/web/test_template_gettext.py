"""The templates' `_` and `ngettext` (app.web.i18n) read as Jinja's newstyle gettext did."""

from __future__ import annotations

from flask import render_template_string, session


def test_translations_escape_their_values_and_read_percent_signs_once(app):
    with app.test_request_context("/"):
        page = render_template_string(
            '{{ _("佣金 %(rate)s%%", rate="<b>5</b>") }}|{{ _("满100%%") }}|{{ _("订单") }}|'
            '{{ ngettext("共 %(num)s 个订单", "共 %(num)s 个订单", 3) }}|'
            '{{ ngettext("共 %(num)s 个订单", "共 %(num)s 个订单", 1200, num="1000+") }}'
        )
    assert page == "佣金 &lt;b&gt;5&lt;/b&gt;%|满100%|订单|共 3 个订单|共 1000+ 个订单"


def test_numbers_and_words_in_translations_read_the_same_in_both_languages(app, client):
    """Numbers are formatted without escaping (nothing to escape); words are still escaped,
    and English picks its plural form by the number."""
    template = (
        '{{ ngettext("共 %(num)s 件商品", "共 %(num)s 件商品", n) }}|'
        '{{ _("客户：%(name)s", name=who) }}|{{ _("%(n)s 米", n=n) }}'
    )
    with app.test_request_context("/"):
        assert render_template_string(template, n=1, who="<i>王</i>") == (
            "共 1 件商品|客户：&lt;i&gt;王&lt;/i&gt;|1 米"
        )
    client.post("/lang/en")
    with client.session_transaction() as kept:
        lang = dict(kept)
    with app.test_request_context("/"):
        session.update(lang)
        one = render_template_string(template, n=1, who="<i>Wang</i>")
        many = render_template_string(template, n=3, who="Wang")
    assert one.startswith("1 item|") and "&lt;i&gt;Wang&lt;/i&gt;" in one
    assert many.startswith("3 items|")
