"""Turning HTML form posts into the API's request bodies, and errors into field messages.

A form post is validated by the *same* pydantic models as the JSON API (decimal places,
positive quantities, allowed values), then passed to the same services, so the web cannot
accept anything the API would refuse. Errors from either step come back as
``{field: [messages]}`` so the template can print each message beside its input. Pydantic's
messages are given in the page's language for the common cases; service messages (English,
precise) go through :func:`market.web.messages.reason`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from market.core.errors import Problem
from market.web.i18n import current_locale, gettext
from market.web.messages import reason

#: Page wording (English message ids; Chinese in ``locale/zh/base.po``) for the pydantic error
#: types a clerk can actually trigger from a form.
MESSAGES: dict[str, str] = {
    "missing": "Required",
    "decimal_parsing": "Enter a number",
    "decimal_type": "Enter a number",
    "int_parsing": "Choose or enter a whole number",
    "float_parsing": "Enter a number",
    "finite_number": "Enter a finite number",
    "greater_than": "Must be greater than %(gt)s",
    "greater_than_equal": "Must not be less than %(ge)s",
    "less_than": "Must be less than %(lt)s",
    "less_than_equal": "Must not be greater than %(le)s",
    "decimal_max_places": "Too many decimal places (at most %(decimal_places)s)",
    "decimal_max_digits": "Too many digits",
    "decimal_whole_digits": "Too many digits before the decimal point",
    "date_parsing": "Enter a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "Enter a date as YYYY-MM-DD",
    "literal_error": "Choose from the list",
    "string_too_long": "Too long (at most %(max_length)s characters)",
    "string_too_short": "Too short (at least %(min_length)s characters)",
    "value_error": "Not a valid value",
    "string_pattern_mismatch": "Not in the expected form",
    "extra_forbidden": "Unknown field",
}


class FormErrors(dict[str, list[str]]):
    """Messages per input name; ``form`` collects those that belong to no single input."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field or "form", []).append(message)

    def for_prefix(self, prefix: str) -> list[str]:
        """Messages of a field and its sub-fields (``requirements.x`` and ``requirements.x.min``)."""
        return [
            m for k, ms in self.items() if k == prefix or k.startswith(prefix + ".") for m in ms
        ]


def pydantic_errors(exc: ValidationError) -> FormErrors:
    """Each field's messages in the page's language (pydantic's English when unknown)."""
    errors = FormErrors()
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ()))
        ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        english = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        msgid = MESSAGES.get(str(err.get("type", "")))
        if msgid is None or (err.get("type") == "value_error" and current_locale() == "en"):
            errors.add(field, english if current_locale() == "en" else reason(english))
            continue
        try:
            errors.add(field, gettext(msgid) % ctx)
        except (KeyError, ValueError):
            errors.add(field, gettext(msgid).split("%(")[0].rstrip())
    return errors


def problem_errors(exc: Problem) -> FormErrors:
    """A service's Problem as field messages (in the page's language where the catalogues
    know them); its detail when it names no field."""
    errors = FormErrors()
    for item in exc.errors:
        errors.add(item.get("field", "form"), reason(item.get("reason", exc.detail)))
    if not exc.errors:
        errors.add("form", reason(exc.detail))
    return errors


#: Post-form inputs that hold a number: typed by clerks as "5,000" or "－15".
NUMBER_FIELDS = frozenset(
    {"quantity_t", "price_cny_t", "max_price_cny_t", "max_haul_km", "min_quantity_t"}
)
_MINUS = {"\u2212": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"}
_GROUPED = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def clean_number(raw: str) -> str:
    """A typed number as a plain decimal string: "5,000" → "5000", "－15" → "-15",
    "1 200.5" → "1200.5". A comma that is not a thousands separator ("5,5") is kept, so the
    value fails validation instead of silently becoming 55."""
    text = unicodedata.normalize("NFKC", raw).strip()
    for dash, minus in _MINUS.items():
        text = text.replace(dash, minus)
    text = text.replace("，", ",").replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if "," in text and _GROUPED.match(text):
        text = text.replace(",", "")
    return text


def blank_to_none(form: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The named fields, stripped, with empty inputs left out (so defaults apply); numbers
    (:data:`NUMBER_FIELDS`) as :func:`clean_number` reads them."""
    out: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str):
            value = clean_number(value) if name in NUMBER_FIELDS else value.strip()
        if value not in (None, ""):
            out[name] = value
    return out


def prefixed(form: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """``{rest: value}`` for non-empty inputs named ``prefix + rest`` (e.g. ``spec.loi_pct``),
    which are all measured values, read as :func:`clean_number` reads them."""
    return {
        k[len(prefix) :]: clean_number(str(v))
        for k, v in form.items()
        if k.startswith(prefix) and isinstance(v, str) and v.strip()
    }


def range_errors(
    values: Mapping[str, str], params: Mapping[str, Any], prefix: str, errors: FormErrors
) -> None:
    """Every typed value (``{input name: text}``) outside its parameter's physically valid
    range, each as a message in the page's language, all at once. ``params`` maps a
    parameter key to the catalogue's row (``valid_min``, ``valid_max``, ``unit``); an input
    name is ``prefix + key`` with an optional ``.min``/``.max`` after it."""
    for name, text in values.items():
        key = name.removeprefix(prefix)
        key = key.rsplit(".", 1)[0] if key.endswith((".min", ".max")) else key
        param = params.get(key)
        if param is None or name in errors:
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            continue
        low, high = param.valid_min, param.valid_max
        if (low is not None and value < low) or (high is not None and value > high):
            errors.add(
                name,
                gettext("%(value)s is outside the valid range %(min)s–%(max)s %(unit)s")
                % {
                    "value": text,
                    "min": "" if low is None else format(low.normalize(), "f"),
                    "max": "" if high is None else format(high.normalize(), "f"),
                    "unit": param.unit or "",
                },
            )


def parse_decimal(raw: str | None, field: str, errors: FormErrors) -> Decimal | None:
    """A number typed into a search form (where there is no pydantic model), or None."""
    if raw is None or not raw.strip():
        return None
    try:
        value = Decimal(clean_number(raw))
    except InvalidOperation:
        errors.add(field, gettext("Enter a number"))
        return None
    if not value.is_finite():
        errors.add(field, gettext("Enter a finite number"))
        return None
    return value
