"""The internal area: the queue, the ticket desk, approvals, persons, documents for tenants, the Protokoll."""
