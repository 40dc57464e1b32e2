"""Customer-centred service: visits, arrival routing and notifications, needs, hand-offs."""
