"""Battery lots for the tests: a producer's lot of packs, MIIT-listed buyers, a regulator."""

from __future__ import annotations

from typing import Any

from market.catalogue.pack_codes import vin_check_digit
from market.core.settings import Settings
from tests.trading.helpers import API, Market, Party, make_regulator, update_row


def code(serial: int, kind: str = "B", maker: str = "ABC") -> str:
    """A valid GB/T 34014 code: maker ABC, pack, battery type, spec 01, trace 1234567,
    made 2026-12-03 (T, C, 3), serial."""
    return f"{maker}P{kind}011234567TC3{serial:07d}"


def vin(serial: int) -> str:
    base = f"LFV2A21K0M{serial:07d}"
    return base[:8] + vin_check_digit(base) + base[9:]


def pack(serial: int, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": code(serial),
        "chemistry": "LFP",
        "rated_kwh": "52.5",
        "soh_pct": "72.5",
        "mass_kg": 380,
        "vin": vin(serial),
    }
    body.update(over)
    return body


class Batteries(Market):
    async def lot(self, seller: Party, **over: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "material_code": "battery_lfp",
            "quantity_t": "3.5",
            "price_cny_t": "9000.00",
            "title": "退役磷酸铁锂电池包",
        }
        fields.update(over)
        return await self.listing(seller, **fields)

    async def add(self, listing_id: int, seller: Party, packs: list[dict[str, Any]]) -> Any:
        return await self.client.post(
            f"{API}/listings/{listing_id}/packs", headers=seller.headers, json={"packs": packs}
        )

    async def ok_add(self, listing_id: int, seller: Party, packs: list[dict[str, Any]]) -> Any:
        r = await self.add(listing_id, seller, packs)
        assert r.status_code == 201, r.text
        return r.json()

    async def recycler(self, settings: Settings, **flags: bool) -> Party:
        buyer = await self.buyer()
        await update_row(
            settings, "organizations", buyer.org_id, **(flags or {"miit_listed": True})
        )
        return buyer

    async def regulator(self, settings: Settings, email: str = "reg@example.cn") -> dict[str, str]:
        return await make_regulator(settings, self.actors, email)

    async def ship_packs(self, shipment_id: int, seller: Party, codes: list[str]) -> Any:
        return await self.client.post(
            f"{API}/shipments/{shipment_id}/packs", headers=seller.headers, json={"codes": codes}
        )

    async def receive_packs(
        self, shipment_id: int, buyer: Party, codes: list[str], **kw: Any
    ) -> Any:
        return await self.client.post(
            f"{API}/shipments/{shipment_id}/packs/receive",
            headers=buyer.headers,
            json={"received": codes, **kw},
        )
