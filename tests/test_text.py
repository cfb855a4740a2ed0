"""Long renderings are cut so Telegram still accepts them."""
from bot.text import MESSAGE_LIMIT, clip


def test_short_text_is_untouched():
    assert clip("<b>hi</b> &amp; bye") == "<b>hi</b> &amp; bye"


def test_a_cut_never_splits_an_entity_or_a_tag_and_closes_what_it_left_open():
    text = "<b>" + "x" * 4085 + "&amp;<i>yyyyyyyy</i></b>"
    cut = clip(text)
    assert len(cut) <= MESSAGE_LIMIT + len("</b>")
    assert cut.endswith("</b>\n…") and "&am" not in cut.replace("&amp;", "")
    assert cut.count("<b>") == cut.count("</b>")


def test_a_cut_prefers_a_line_boundary():
    lines = "\n".join(f"<b>line</b> {n}" for n in range(1000))
    cut = clip(lines)
    assert len(cut) <= MESSAGE_LIMIT
    assert cut.endswith("\n…") and cut.rsplit("\n", 2)[-2].startswith("<b>line</b>")
