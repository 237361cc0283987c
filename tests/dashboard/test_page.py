"""The dashboard's HTML helpers escape every value, in text and in attributes."""

from __future__ import annotations

from bot.dashboard.page import attrs, errors, field, link, select, tag

EVIL = '"><script>alert(1)</script>&'


def test_text_and_attributes_are_escaped() -> None:
    html = link(EVIL, EVIL)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "&quot;&gt;" in html and "&amp;" in html
    assert attrs(data_x=EVIL, hidden=True, gone=None, off=False) == (
        ' data-x="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;" hidden'
    )


def test_form_controls_escape_their_values_and_labels() -> None:
    for html in (
        field(EVIL, "name", EVIL),
        field(EVIL, "text", EVIL, kind="textarea"),
        select(EVIL, "s", [(EVIL, EVIL)], EVIL),
        errors([EVIL]),
    ):
        assert "<script>" not in html, html
    assert "selected" in select("x", "s", [("a", "A"), ("b", "B")], "b").split("B")[0]


def test_tag_takes_html_body_as_given() -> None:
    assert tag("b", "&amp;", class_="x") == '<b class="x">&amp;</b>'
