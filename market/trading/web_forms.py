"""What the trading pages share: numbers as clerks type them, failed forms, messages, labels.

A trading form is validated by the API's own request bodies (``BidIn``, ``ShipmentIn`` …)
and carried out by the same services, so the pages cannot accept what the API refuses.
Before validation, numbers are read as people write them ("5,000", "－15", "1 200"); after
it, pydantic's and the services' English messages are turned into the page's language here:
pydantic errors by their type, service errors by the sentence they say (a table of patterns
below). A message no pattern knows falls back to a general sentence for its status, with the
service's own words kept in a collapsed detail, so a new service message never shows up as a
raw JSON body or an untranslated line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from market.core.errors import Problem
from market.web.forms import FormErrors, clean_number
from market.web.i18n import _, current_locale

#: China Standard Time: what a clerk's clock shows and what the pages print.
CHINA = timezone(timedelta(hours=8))

# --- numbers (read as clerks type them: market.web.forms.clean_number) -------------------


def form_values(form: Mapping[str, Any]) -> dict[str, str]:
    """The posted text inputs (files and the CSRF token left out), as typed."""
    return {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}


def body(
    values: Mapping[str, str], names: Iterable[str], numbers: Iterable[str] = ()
) -> dict[str, Any]:
    """The named inputs that are not blank, stripped; those in ``numbers`` cleaned."""
    numeric = set(numbers)
    out: dict[str, Any] = {}
    for name in names:
        value = (values.get(name) or "").strip()
        if value:
            out[name] = clean_number(value) if name in numeric else value
    return out


def china_local(raw: str | None) -> str | None:
    """A ``datetime-local`` input ("2026-12-10T18:00", China time) as an ISO time with its
    offset, for the API body; anything else is passed on as typed (and then refused)."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        return text
    if naive.tzinfo is not None:
        return naive.isoformat()
    return naive.replace(tzinfo=CHINA).isoformat()


def when(value: datetime | None) -> str:
    """A time as a China clock shows it: "2026-12-03 16:40"."""
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def local_input(value: datetime) -> str:
    """The value of a ``datetime-local`` input for ``value`` (China time)."""
    return value.astimezone(CHINA).strftime("%Y-%m-%dT%H:%M")


# --- failed forms -------------------------------------------------------------------------


@dataclass
class Posted:
    """A form that failed: which one (``name`` and the row it acts on), what was typed, and
    the messages, already in the page's language. The page shows it again as it was."""

    name: str
    key: int | None = None
    values: dict[str, str] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)
    #: The status the page is shown again with: 422, or the refusal's 403 / 409.
    status: int = 422

    def is_(self, name: str, key: int | None = None) -> bool:
        return self.name == name and self.key == key

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    @property
    def messages(self) -> list[str]:
        """Every message, the field's label first, so they can all be shown at once."""
        colon = "：" if current_locale() == "zh" else ": "
        out = []
        for name, msgs in self.errors.items():
            label = field_label(name)
            out += [f"{label}{colon}{m}" if label else m for m in msgs]
        return out


def field_label(name: str) -> str:
    labels = {
        "quantity_t": _("Quantity"),
        "price_cny_t": _("Price"),
        "site_id": _("Delivery site"),
        "organization_id": "",
        "note": _("Message"),
        "use": _("Declared use"),
        "expires_at": _("Valid until"),
        "closes_at": _("Closing time"),
        "reserve_price_cny_t": _("Reserve price"),
        "vehicle_plate": _("Vehicle plate"),
        "carrier": _("Carrier"),
        "manifest_no": _("Manifest number"),
        "dispatched_t": _("Dispatch weighbridge"),
        "dispatched_at": _("Dispatch time"),
        "received_t": _("Receipt weighbridge"),
        "received_at": _("Receipt time"),
        "settled_t": _("Tonnes that count"),
        "delivery_from": _("Delivery from"),
        "delivery_until": _("Delivery until"),
        "tonnes_per_month": _("Tonnes a month"),
        "term_months": _("Months"),
        "form": "",
    }
    return labels.get(name, "")


# --- messages -----------------------------------------------------------------------------

_PYDANTIC: dict[str, str] = {
    "missing": "This field is required",
    "decimal_parsing": "Enter a number",
    "decimal_type": "Enter a number",
    "float_parsing": "Enter a number",
    "int_parsing": "Choose or enter a whole number",
    "int_type": "Choose or enter a whole number",
    "finite_number": "Enter a finite number",
    "greater_than": "Must be greater than %(gt)s",
    "greater_than_equal": "Must be at least %(ge)s",
    "less_than": "Must be less than %(lt)s",
    "less_than_equal": "Must be at most %(le)s",
    "decimal_max_places": "Too many decimal places (at most %(decimal_places)s)",
    "decimal_max_digits": "Too many digits",
    "decimal_whole_digits": "Too many digits",
    "string_too_short": "Too short (at least %(min_length)s characters)",
    "string_too_long": "Too long (at most %(max_length)s characters)",
    "datetime_parsing": "Enter a date and time",
    "datetime_from_date_parsing": "Enter a date and time",
    "timezone_aware": "Enter a date and time",
    "date_parsing": "Enter a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "Enter a date (YYYY-MM-DD)",
}


def pydantic_messages(exc: ValidationError) -> FormErrors:
    errors = FormErrors()
    for err in exc.errors():
        name = ".".join(str(p) for p in err.get("loc", ()))
        msgid = _PYDANTIC.get(str(err.get("type", "")), "Invalid value")
        ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        try:
            errors.add(name, _(msgid) % ctx)
        except (KeyError, ValueError, TypeError):
            errors.add(name, _("Invalid value"))
    return errors


#: Service sentences (the ``reason`` of a field, or a problem's ``detail``) and their msgids.
#: Named groups fill the msgid's placeholders; ``status`` groups are shown as labels.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), m)
    for p, m in [
        (
            r"only (?P<available>[\d.]+) t of listing \d+ are available, (?P<asked>[\d.]+) t asked",
            "Only %(available)s t are available; %(asked)s t were asked for.",
        ),
        (r"^more than is available$", "More than is available."),
        (r"must be in the future", "Must be in the future."),
        (r"the tender closed at", "The tender has closed; bids are no longer accepted."),
        (
            r"a tender bid must stay valid until the tender closes",
            "A tender bid must stay valid until the tender closes.",
        ),
        (r"bid \d+ is already (?P<status>\w+)", "This offer is already %(status)s."),
        (r"bid \d+ expired at", "This offer has expired."),
        (r"only the seller can answer this offer", "Only the seller can answer this offer."),
        (r"only the buyer can answer this offer", "Only the buyer can answer this offer."),
        (
            r"is a sealed tender bid",
            "A sealed tender bid is decided when the tender closes.",
        ),
        (r"must not exceed the (?P<t>[\d.]+) t offered", "Must not exceed the %(t)s t offered."),
        (
            r"only the organisation that made this offer can withdraw it",
            "Only the organisation that made this offer can withdraw it.",
        ),
        (
            r"listing \d+ is (?P<status>\w+); only an open listing can be traded",
            "This listing is %(status)s; only an open listing can be traded.",
        ),
        (r"listing \d+ expired on (?P<date>\S+)", "This listing expired on %(date)s."),
        (
            r"listing \d+ is under sealed tender \d+",
            "This listing is under sealed tender; bid in the tender instead.",
        ),
        (
            r"give quantity_t, or tonnes_per_month and term_months",
            "Enter the quantity.",
        ),
        (
            r"this is your own organisation's listing",
            "This is your own organisation's listing; you cannot bid on or buy it.",
        ),
        (
            r"not a member of any organisation",
            "You are not a member of any organisation; create or join one first.",
        ),
        (r"you belong to several organisations", "Choose the buying organisation's site."),
        (r"you are not a member of organisation", "You are not a member of this organisation."),
        (r"give the receiving site_id or a demand_id", "Choose the delivery site."),
        (
            r"site \d+ is not a site of the buying organisation",
            "This site is not one of the buying organisation's.",
        ),
        (r"site \d+ does not exist", "Choose the delivery site."),
        (r"not a typical use of", "Not a typical use of this material."),
        (r"has nothing left to put to tender", "Nothing is left to put to tender."),
        (r"is already under tender", "This listing is already under tender."),
        (
            r"only the producer \(the seller\) records shipments",
            "Only the producer (the seller) records shipments of a deal.",
        ),
        (
            r"deal \d+ is (?P<status>\w+); it takes no more shipments",
            "This deal is %(status)s; it takes no more shipments.",
        ),
        (
            r"only (?P<t>[\d.]+) t of deal \d+ remain to be shipped",
            "Only %(t)s t of this deal remain to be shipped.",
        ),
        (r"^more than the deal has left$", "More than the deal has left."),
        (r"^is in the future$", "Must not be in the future."),
        (r"is before deal \d+ was made", "Is before the deal was made."),
        (r"is before the shipment was dispatched", "Is before the shipment was dispatched."),
        (
            r"only the receiving organisation \(the buyer\) can confirm receipt",
            "Only the receiving organisation (the buyer) can confirm a receipt.",
        ),
        (r"shipment \d+ was already received", "This shipment was already received."),
        (
            r"(?P<received>[\d.]+) t is more than (?P<most>[\d.]+) t, the most a load "
            r"dispatched as (?P<dispatched>[\d.]+) t",
            "%(received)s t is more than %(most)s t, the most a load dispatched as "
            "%(dispatched)s t can weigh on arrival; check the weighbridge.",
        ),
        (
            r"(?P<settled>[\d.]+) t is more than the (?P<dispatched>[\d.]+) t dispatched",
            "%(settled)s t is more than the %(dispatched)s t dispatched; a settlement cannot "
            "exceed what left the producer.",
        ),
        (r"was already settled at", "This dispute was already settled."),
        (
            r"only the producer or the receiver can propose or accept",
            "Only the producer or the receiver can propose or accept a settlement.",
        ),
        (r"nobody has proposed a settlement", "Nobody has proposed a settlement yet."),
        (r"only regulators can decide a dispute", "Only regulators can decide a dispute."),
        (
            r"the other party must accept your proposal",
            "The other party must accept your proposal.",
        ),
        (
            r"the proposal is now (?P<t>[\d.]+) t",
            "The proposal is now %(t)s t; check it and accept again.",
        ),
        (r"^the proposal changed$", "The proposal changed."),
        (r"deal \d+ is already (?P<status>\w+)", "This deal is already %(status)s."),
        (
            r"deal \d+ has (?P<n>\d+) load\(s\) in transit",
            "%(n)s load(s) of this deal are in transit; confirm their receipt before closing it.",
        ),
        (
            r"only the seller or the buyer can close a deal",
            "Only the seller or the buyer can close a deal.",
        ),
        (
            r"is not a transfer manifest number|is not a province code|city code must not be 00"
            r"|serial must not be 000000",
            "Not a transfer manifest number: 14 digits, the year, the province and city code "
            "and a serial (e.g. 20264208000123).",
        ),
        (r"is not the year of dispatch", "The manifest's year is not the year of dispatch."),
        (
            r"is not the producer's province and city",
            "The manifest's region is not the producer's province and city.",
        ),
        (
            r"^already in use$|manifest \d+ is already in use",
            "This manifest number is already in use.",
        ),
        (
            r"unverified organisations cannot close deals above (?P<t>[\d.]+) t",
            "Organisations not yet verified by a regulator cannot close deals above %(t)s t.",
        ),
        (r"must not be before", "Must not be before the start date."),
        (
            r"a standing contract needs tonnes_per_month and term_months",
            "A standing contract needs both the tonnes a month and the months.",
        ),
        (
            r"only a monthly listing can be taken as a standing contract",
            "Only a monthly listing can be taken as a standing contract.",
        ),
        (
            r"must equal tonnes_per_month × term_months = (?P<t>[\d.]+)",
            "Must equal tonnes a month × months = %(t)s t; leave the tonnes empty.",
        ),
        (r"a standing offer is (accepted|countered) by tonnes_per_month", "Enter tonnes a month."),
        (r"this offer is not a standing contract", "This offer is not a standing contract."),
        (
            r"only a standing contract has a shortfall policy",
            "Only a standing contract has a shortfall policy.",
        ),
    ]
]
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _translate(text: str) -> str | None:
    """A service sentence in the page's language, or None when no pattern knows it."""
    zh, sep, en = text.partition(" / ")
    if sep and _CJK.search(zh) and not _CJK.search(en):
        # Eligibility refusals already say it in both languages: "需持有… / requires …".
        return zh if current_locale() == "zh" else en
    for pattern, msgid in _PATTERNS:
        m = pattern.search(text)
        if m is not None:
            return _(msgid) % {k: _shown(k, v) for k, v in m.groupdict().items()}
    return None


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _shown(name: str, value: str) -> str:
    """A group of a service sentence as the page shows it: a status as its label, tonnes
    with separators and no trailing zeros ("5000.000" → "5,000")."""
    from market.web.format import number

    if name == "status":
        return status_label(value)
    return number(value) if _NUMBER.match(value) else value


def problem_messages(exc: Problem) -> FormErrors:
    """A service's refusal as messages per field, in the page's language."""
    errors = FormErrors()
    detail = _translate(exc.detail)
    if exc.errors:
        for item in exc.errors:
            name = item.get("field", "form")
            # The detail is the more precise sentence ("only 5 t … are available") when
            # it is known; the field's reason ("more than is available") otherwise.
            reason = detail or _translate(item.get("reason", ""))
            errors.add(name, reason or _fallback(exc))
        return errors
    errors.add("form", detail or _fallback(exc))
    return errors


def _fallback(exc: Problem) -> str:
    general = {
        403: _("You may not do this."),
        404: _("It no longer exists."),
        409: _("This cannot be done in the current state."),
    }.get(exc.status, _("The value was not accepted."))
    return general


# --- labels -------------------------------------------------------------------------------


def status_label(code: str | None) -> str:
    """Bid, deal, shipment, tender and dispute statuses as words (never the raw code)."""
    labels = {
        "pending": _("pending"),
        "accepted": _("accepted"),
        "rejected": _("rejected"),
        "countered": _("countered"),
        "withdrawn": _("withdrawn"),
        "expired": _("expired"),
        "lost": _("not awarded"),
        "active": _("active"),
        "completed": _("completed"),
        "cancelled": _("cancelled"),
        "dispatched": _("in transit"),
        "received": _("received"),
        "disputed": _("disputed"),
        "open": _("open"),
        "closed": _("closed"),
        "settled": _("settled"),
        "reserved": _("reserved"),
        "draft": _("draft"),
        "awarded": _("awarded"),
        "unsold": _("unsold"),
    }
    return labels.get(code or "", _("unknown"))


def money(value: Decimal | None) -> str:
    """A price per tonne: "CNY 35/t", or the fee a producer pays for a negative one."""
    from market.web.format import number

    if value is None:
        return "–"
    if value < 0:
        return _("producer pays CNY %(amount)s/t") % {"amount": number(-value, 2)}
    return _("CNY %(amount)s/t") % {"amount": number(value, 2)}


def material_name(materials: Mapping[str, Any], code: str) -> str:
    """A material's name in the page's language (the code only if the catalogue lost it)."""
    m = materials.get(code)
    if m is None:
        return code
    return str(m.name_zh if current_locale() == "zh" else m.name_en)


def helpers(materials: Mapping[str, Any]) -> dict[str, Any]:
    """What the trading templates call as ``h.…``: labels, money, times, material names."""
    from market.web.format import tonnes

    return {
        "status": status_label,
        "money": money,
        "when": when,
        "t": tonnes,
        "material": lambda code: material_name(materials, code),
    }
