"""What the API says about a lab report (its bytes are fetched from ``download_url``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field

from market.core.schemas import Out
from market.offers.document_models import ListingDocument, Visibility


class DocumentOut(Out):
    """A lab report attached to a listing, as a viewer who may see it is shown it."""

    id: int
    listing_id: int
    lab_name: str
    sample_date: date
    parameters: Annotated[
        list[str], Field(description="catalogue parameter codes the report covers")
    ]
    spec_sources: Annotated[
        list[str],
        Field(description="the listing's spec values taken from this report ('from report N')"),
    ]
    visibility: Annotated[
        Visibility,
        Field(
            description="public: whoever may read the listing; parties: producer, regulators, bidders and buyers"
        ),
    ]
    content_type: Annotated[str, Field(description="judged from the file's content")]
    size_bytes: int
    sha256: Annotated[str, Field(description="hex SHA-256 of the file")]
    created_at: datetime
    download_url: str

    @classmethod
    def of(cls, doc: ListingDocument) -> DocumentOut:
        return cls.model_validate(
            {
                "id": doc.id,
                "listing_id": doc.listing_id,
                "lab_name": doc.lab_name,
                "sample_date": doc.sample_date,
                "parameters": list(doc.parameters),
                "spec_sources": list(doc.spec_sources),
                "visibility": doc.visibility,
                "content_type": doc.content_type,
                "size_bytes": doc.size_bytes,
                "sha256": doc.sha256,
                "created_at": doc.created_at,
                "download_url": f"/api/v1/documents/{doc.id}",
            }
        )
