"""Devices, staff sign-in, sessions, permissions and data scope, the audit trail."""
