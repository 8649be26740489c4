"""Dokumente: the tenant's documents, certificates made on demand and forms sent in the portal."""
