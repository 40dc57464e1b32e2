"""Request and response bodies of the auth API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class StaffOut(BaseModel):
    username: str
    display_name: str
    role: str
    org_unit_id: int


class LoginResponse(BaseModel):
    session_token: str = Field(description="Send as `Authorization: Bearer …`. Shown once.")
    staff: StaffOut
