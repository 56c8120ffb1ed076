"""Request and response bodies of accounts: users, logins, organisations, members, sites,
permits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, SerializerFunctionWrapHandler, StringConstraints, model_serializer

from market.accounts.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from market.core.schemas import Body, Email, Name, Out, Text, Tonnes


class RegisterIn(Body):
    email: Email
    password: Annotated[
        str,
        Field(
            min_length=MIN_PASSWORD_LENGTH,
            max_length=MAX_PASSWORD_LENGTH,
            description="at least 10 characters, not a common password, not the e-mail",
        ),
    ]
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]


class LoginIn(Body):
    email: Email
    password: Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH)]


class PasswordChangeIn(Body):
    old_password: Annotated[str, Field(max_length=MAX_PASSWORD_LENGTH)]
    new_password: Annotated[
        str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)
    ]


OrgKind = Literal["producer", "consumer", "recycler", "carrier", "regulator"]
MemberRole = Literal["admin", "member"]


class OrganizationIn(Body):
    name: Name
    uscc: Annotated[str, Field(description="统一社会信用代码, 18 characters (GB 32100)")]
    kind: OrgKind
    district_code: Annotated[str, Field(description="county-level adcode, e.g. 420881 (钟祥市)")]


class VerifyIn(Body):
    """A regulator's verification of an organisation."""

    uscc: Annotated[
        str | None,
        Field(
            description="the 统一社会信用代码 as read from the business licence (营业执照); "
            "must match the registered code. Omit to record that the licence was checked"
        ),
    ] = None
    note: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
        Field(description="how the code was checked, e.g. the licence copy seen"),
    ]


class MemberIn(Body):
    email: Email
    role: MemberRole = "member"


class SiteIn(Body):
    name: Name
    address: Text = ""
    lon: float
    lat: float
    crs: Annotated[
        str, Field(description="wgs84 (default), gcj02 (Amap/Tencent), bd09 (Baidu), cgcs2000")
    ] = "wgs84"


class PermitIn(Body):
    kind: Annotated[
        str,
        Field(
            min_length=2,
            max_length=20,
            description="waste code or category, e.g. HW31 or 900-052-31",
        ),
    ]
    number: Annotated[str, Field(max_length=100)] = ""
    valid_until: date
    annual_capacity_t: Annotated[
        Tonnes | None,
        Field(
            description="licensed capacity (经营规模), tonnes per calendar year; the holder's "
            "deals count against it (omit only when the licence states none)"
        ),
    ] = None


class MiitIn(Body):
    listed: bool


class UserOut(Out):
    """A user as they see themselves (and as regulators see them)."""

    id: int
    email: str
    display_name: str
    role: Literal["user", "regulator", "admin"]


class TokenOut(Out):
    """A bearer token: send it as ``Authorization: Bearer <access_token>``."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: Annotated[int, Field(description="seconds until the token expires")]


class TokenInfoOut(Out):
    """One of your bearer tokens (the token itself is never stored, so never shown)."""

    id: int
    created_at: datetime
    expires_at: datetime
    current: Annotated[bool, Field(description="the token this request was sent with")]


class PasswordChangedOut(Out):
    """The password was changed; every other token of the account was revoked."""

    revoked_tokens: int


class MyOrganizationOut(Out):
    """One organisation of the logged-in user, with their role in it."""

    id: int
    name: str
    kind: str
    role: MemberRole


class MeOut(UserOut):
    """The logged-in user with the organisations they belong to and their role in each."""

    organizations: list[MyOrganizationOut]


class OrganizationOut(Out):
    """An organisation as every logged-in user sees it."""

    id: int
    name: str
    uscc: str
    kind: OrgKind
    district_code: str
    district_name: str | None
    miit_listed: bool
    verified: Annotated[
        bool,
        Field(
            description="a regulator checked its 统一社会信用代码 against the business licence; "
            "until then anyone may be posing as it"
        ),
    ]


class OwnOrganizationOut(OrganizationOut):
    """An organisation as its members (and regulators) see it: with its webhook URL."""

    webhook_url: str | None


class CreatedOrganizationOut(OwnOrganizationOut):
    """A newly registered organisation; its creator is its admin."""

    role: Literal["admin"] = "admin"


class MemberOut(Out):
    """A member of an organisation, shown to its members and regulators."""

    user_id: int
    email: str
    display_name: str
    role: MemberRole


class OrganizationDetailOut(OrganizationOut):
    """An organisation as ``GET /organizations/{id}`` answers: its members and regulators also
    get ``webhook_url`` and ``members``, which are left out (not null) for everyone else.

    One object with two optional fields, not ``oneOf`` the public and the full view: the full
    view is a valid public view too, so a ``oneOf`` matches twice and strict clients refuse it.
    """

    webhook_url: Annotated[str | None, Field(description="members and regulators only")] = None
    members: Annotated[
        list[MemberOut], Field(default_factory=list, description="members and regulators only")
    ]

    @model_serializer(mode="wrap")
    def _members_only_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in _MEMBERS_ONLY - self.model_fields_set:
            data.pop(name, None)
        return data


_MEMBERS_ONLY = frozenset({"webhook_url", "members"})


class MembershipOut(Out):
    """A membership just granted: who joined which organisation, as what."""

    organization_id: int
    user_id: int
    role: MemberRole


class SiteOut(Out):
    """A site in WGS84 (6 decimals), with the district and park it lies in."""

    id: int
    organization_id: int
    name: str
    address: str
    lon: float
    lat: float
    crs: Literal["wgs84"] = "wgs84"
    district_code: str | None
    district_name: str | None
    park_code: str | None


class PermitOut(Out):
    """A hazardous-waste permit; ``valid`` is whether it has not yet expired today."""

    id: int
    kind: str
    number: str
    valid_until: date
    valid: bool
    annual_capacity_t: Decimal | None
    taken_t: Annotated[
        Decimal, Field(description="tonnes taken under the permit this calendar year (China)")
    ]
    remaining_t: Annotated[
        Decimal | None, Field(description="capacity left this year; null: no capacity recorded")
    ]


class ExpiringPermitOut(PermitOut):
    """A permit about to expire, with its holder (regulators' renewal list)."""

    organization_id: int
    organization_name: str
    days_left: int


class VerifiedOut(Out):
    """An organisation a regulator has just verified."""

    organization_id: int
    verified: Literal[True] = True
    verified_at: datetime


class MiitOut(Out):
    """Whether an organisation is on the MIIT compliant battery-recycler list."""

    organization_id: int
    miit_listed: bool
