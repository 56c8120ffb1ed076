"""Every English message id has one Chinese translation across the catalogues.

The ``.po`` files of ``market/web/locale/zh`` are merged into one catalogue (the last file
alphabetically wins), so an id translated two ways in two files silently showed one domain's
word on another's page ("Site" as 场所 on the registration page, "Months" as 月数 over the
ledger's month list). Where two pages mean different things, they need different ids.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from market.web.i18n import LOCALE_DIR


def test_no_message_id_has_two_chinese_translations() -> None:
    seen: dict[str, dict[str, list[str]]] = {}
    for path in sorted((LOCALE_DIR / "zh").glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale="zh_Hans_CN"):
                if message.id and isinstance(message.id, str) and message.string:
                    seen.setdefault(message.id, {}).setdefault(str(message.string), []).append(
                        Path(path).name
                    )
    clashes = {mid: found for mid, found in seen.items() if len(found) > 1}
    assert not clashes, clashes
