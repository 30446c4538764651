"""Harvesting catalogues from remote sources: sources, safe HTTP, kinds, state, harvester."""
