"""The auditor's endpoints: tree heads, verification, proofs and the export bundle."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/audit", tags=["audit"])
