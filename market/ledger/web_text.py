"""What the ledger pages call things: column labels and the services' reasons, translated.

The services (:mod:`market.ledger.rules`, the importer) explain a refusal in precise English
for the API. A page in Chinese must not show those sentences raw, so the common ones are
matched here and rendered through gettext with their numbers kept; a reason no pattern knows
goes to the pages' shared :func:`market.web.messages.reason`, which shows it as the service
wrote it when it knows no better (an exact English sentence beats a wrong Chinese one).
Everything is looked up at call time, so the request's language applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from market.web import messages
from market.web.i18n import gettext as _

#: Ledger columns (and the other fields an error may name) → English label (a msgid).
FIELD_MSGIDS: dict[str, str] = {
    "site_id": "Site",
    "site_name": "Site name",
    "material_code": "Material",
    "month": "Month",
    "generated_t": "Generated",
    "used_inhouse_t": "Used in-house",
    "shipped_outside_exchange_t": "Utilised outside the exchange",
    "exchange_received_t": "Received on the exchange",
    "utilised_from_stockpile_t": "Utilised from earlier stockpiles",
    "utilised_t": "Utilised",
    "stored_t": "Stored",
    "disposed_t": "Disposed",
    "disposed_from_stockpile_t": "Disposed from earlier stockpiles",
    "dumped_t": "Dumped",
    "balance": "Balance",
    "note": "Note",
    "file": "File",
    "form": "Form",
}


def field_label(name: str) -> str:
    """A column's label in the page's language; an unknown header is shown as written."""
    msgid = FIELD_MSGIDS.get(name)
    return _(msgid) if msgid else name


def _balance(m: re.Match[str]) -> str:
    return (
        _(
            "Generated %(generated)s t does not match the %(accounted)s t accounted for "
            "(difference %(difference)s t, tolerance %(tolerance)s t). Tonnes shipped on the "
            "exchange are counted from their receipts: do not report them as in-house use."
        )
        % m.groupdict()
    )


#: (pattern on the English reason, how to say it). Checked in order; first match wins.
_REASONS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(
            r"generated (?P<generated>[\d.,-]+) t ≠ (?P<accounted>[\d.,-]+) t accounted for.*"
            r"difference (?P<difference>[\d.,-]+) t exceeds the tolerance of "
            r"(?P<tolerance>[\d.,-]+) t",
            re.S,
        ),
        _balance,
    ),
    (
        re.compile(r"^must not be negative, got (?P<v>.+)$"),
        lambda m: _("must not be negative (%(v)s)") % m.groupdict(),
    ),
    (re.compile(r"^is required$"), lambda m: _("is required")),
    (re.compile(r"^(?:(?P<v>.+) )?is not a number$"), lambda m: _("is not a number")),
    (re.compile(r"^must be a number$"), lambda m: _("is not a number")),
    (
        re.compile(r"^(?P<v>.+) is not a site number$"),
        lambda m: _("%(v)s is not a site number") % m.groupdict(),
    ),
    (
        re.compile(r"^(?P<v>.+) is not a month; write it as 2026-03$"),
        lambda m: _("%(v)s is not a month; write it as 2026-03") % m.groupdict(),
    ),
    (
        re.compile(r"^unknown material (?P<v>.+)$"),
        lambda m: _("unknown material %(v)s") % m.groupdict(),
    ),
    (
        re.compile(r"^(?P<v>\d{4}-\d{2}) is in the future$"),
        lambda m: _("%(v)s is in the future") % m.groupdict(),
    ),
    (
        re.compile(r"^site (?P<v>\d+) does not exist$"),
        lambda m: _("site %(v)s does not exist") % m.groupdict(),
    ),
    (
        re.compile(r"^site (?P<v>\d+) belongs to an organisation you are not a member of$"),
        lambda m: (
            _("site %(v)s belongs to an organisation you are not a member of") % m.groupdict()
        ),
    ),
    (
        re.compile(r"^at most 3 decimal places \(kg\) and below 10\^12 t$"),
        lambda m: _("at most 3 decimal places (kg) and below 10^12 t"),
    ),
    (
        re.compile(r"^exceeds disposed_t \((?P<v>.+) t\)$"),
        lambda m: _("exceeds the tonnes disposed (%(v)s t)") % m.groupdict(),
    ),
    (
        re.compile(r"^exceeds the month's utilisation \((?P<v>[\d.,]+) t incl\. (?P<r>[\d.,]+) t"),
        lambda m: (
            _(
                "exceeds the month's utilisation (%(v)s t, of which %(r)s t received on the exchange)"
            )
            % m.groupdict()
        ),
    ),
    (
        re.compile(r"^duplicates row (?P<v>\d+) \(same site, material and month\)$"),
        lambda m: _("repeats row %(v)s (same site, material and month)") % m.groupdict(),
    ),
    (re.compile(r"^unknown column$"), lambda m: _("unknown column")),
    (re.compile(r"^missing column"), lambda m: _("this column is missing")),
    (
        re.compile(r"^(?P<v>\w+) appears twice$"),
        lambda m: _("this column appears twice"),
    ),
    (re.compile(r"^the file is empty$"), lambda m: _("the file is empty")),
    (
        re.compile(r"^CSV must be UTF-8 or GB18030 text$"),
        lambda m: _("a CSV file must be UTF-8 or GB18030 text"),
    ),
    (
        re.compile(r"^not a readable \.xlsx workbook"),
        lambda m: _("not a readable Excel (.xlsx) workbook"),
    ),
]


def reason_text(reason: str) -> str:
    """A service's reason in the page's language when it is a known one."""
    for pattern, say in _REASONS:
        m = pattern.search(reason)
        if m:
            return say(m)
    return messages.reason(reason)


_SUMMARY = re.compile(r"^(?P<bad>[\d,]+) of (?P<rows>[\d,]+) rows are invalid")
_LISTED = re.compile(r"the first (?P<listed>[\d,]+) of (?P<total>[\d,]+) problems are listed")


def import_summary(detail: str, listed: int) -> str:
    """The importer's one-line verdict on a rejected file, in the page's language."""
    m = _SUMMARY.search(detail)
    if m is None:
        if detail.startswith("the header row is not a ledger header"):
            return _("The first row is not a ledger header; nothing was imported.")
        if detail.startswith("the file has no ledger rows"):
            return _("The file has no ledger rows; nothing was imported.")
        return reason_text(detail)
    text = _("%(bad)s of %(rows)s rows are invalid; nothing was imported.") % m.groupdict()
    more = _LISTED.search(detail)
    if more:
        text += " " + _("The first %(listed)s of %(total)s problems are listed.") % more.groupdict()
    else:
        text += " " + _("%(listed)s problems are listed.") % {"listed": f"{listed:,}"}
    return text
