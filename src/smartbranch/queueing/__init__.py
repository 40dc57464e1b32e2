"""Intelligent queuing: services, counters, tickets, the calling policy and wait estimates."""
