"""Every sentence the bot can say exists in all three languages, and nothing stale is kept."""
from bot import catalogues
from services.i18n import translate


def test_catalogues_are_complete_and_have_no_unused_messages():
    assert catalogues.problems() == []


def test_each_language_really_differs_where_it_should():
    assert translate("zh_CN", "Main menu") == "主菜单"
    assert translate("zh_TW", "Main menu") == "主選單"
    assert translate("en", "Main menu") == "Main menu"
    assert translate("zh_TW", "Welcome aboard. You now hold the role: {role}.", role="X").endswith("X。")
