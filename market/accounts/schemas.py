"""Request and response bodies of accounts: users, logins, organisations, members, sites."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from market.core.schemas import Body, Email, Name, Out, Text


class RegisterIn(Body):
    email: Email
    password: Annotated[str, Field(min_length=8, max_length=200)]
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]


class LoginIn(Body):
    email: Email
    password: Annotated[str, Field(max_length=200)]


class OrganizationIn(Body):
    name: Name
    uscc: Annotated[str, Field(description="统一社会信用代码, 18 characters (GB 32100)")]
    kind: Literal["producer", "consumer", "recycler", "carrier", "regulator"]
    district_code: Annotated[str, Field(description="county-level adcode, e.g. 420881 (钟祥市)")]


class MemberIn(Body):
    email: Email
    role: Literal["admin", "member"] = "member"


class SiteIn(Body):
    name: Name
    address: Text = ""
    lon: float
    lat: float
    crs: Annotated[
        str, Field(description="wgs84 (default), gcj02 (Amap/Tencent), bd09 (Baidu), cgcs2000")
    ] = "wgs84"


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


class MyOrganizationOut(Out):
    id: int
    name: str
    kind: str
    role: Literal["admin", "member"]


class MeOut(UserOut):
    """The logged-in user with the organisations they belong to and their role in each."""

    organizations: list[MyOrganizationOut]
