"""Turning HTML form posts into the API's request bodies, and errors into field messages.

A form post is validated by the *same* pydantic models as the JSON API (decimal places,
positive quantities, allowed values), then passed to the same services, so the web cannot
accept anything the API would refuse. Errors from either step come back as
``{field: [messages]}`` so the template can print each message beside its input. Pydantic's
English messages are given a Chinese lead for the common cases; service messages (English,
precise) are shown as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from market.core.errors import Problem

#: Chinese wording for pydantic error types a clerk can actually trigger from a form.
_ZH: dict[str, str] = {
    "missing": "必填",
    "decimal_parsing": "请输入数字",
    "decimal_type": "请输入数字",
    "int_parsing": "请选择或输入整数",
    "float_parsing": "请输入数字",
    "finite_number": "请输入有限的数字",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "decimal_max_places": "小数位数过多（最多 {decimal_places} 位）",
    "decimal_max_digits": "数字位数过多",
    "decimal_whole_digits": "整数位数过多",
    "date_parsing": "日期格式应为 年-月-日（YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式应为 年-月-日（YYYY-MM-DD）",
    "literal_error": "请从列表中选择",
    "string_too_long": "太长（最多 {max_length} 个字符）",
    "extra_forbidden": "不认识的字段",
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
    errors = FormErrors()
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ()))
        ctx = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        english = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        template = _ZH.get(str(err.get("type", "")))
        if template is None:
            errors.add(field, english)
            continue
        try:
            chinese = template.format(**ctx)
        except (KeyError, IndexError):
            chinese = template.split("{")[0].rstrip()
        errors.add(field, f"{chinese} · {english}")
    return errors


def problem_errors(exc: Problem) -> FormErrors:
    """A service's Problem as field messages; its detail when it names no field."""
    errors = FormErrors()
    for item in exc.errors:
        errors.add(item.get("field", "form"), item.get("reason", exc.detail))
    if not exc.errors:
        errors.add("form", exc.detail)
    return errors


def blank_to_none(form: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The named fields, stripped, with empty inputs left out (so defaults apply)."""
    out: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            out[name] = value
    return out


def prefixed(form: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """``{rest: value}`` for non-empty inputs named ``prefix + rest`` (e.g. ``spec.loi_pct``)."""
    return {
        k[len(prefix) :]: str(v).strip()
        for k, v in form.items()
        if k.startswith(prefix) and isinstance(v, str) and v.strip()
    }


def parse_decimal(raw: str | None, field: str, errors: FormErrors) -> Decimal | None:
    """A number typed into a search form (where there is no pydantic model), or None."""
    if raw is None or not raw.strip():
        return None
    try:
        value = Decimal(raw.strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        errors.add(field, "请输入数字 · enter a number")
        return None
    if not value.is_finite():
        errors.add(field, "请输入有限的数字 · enter a finite number")
        return None
    return value
