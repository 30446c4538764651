"""Readers that turn provider inputs (Open Badges, CSV catalogues, ...) into ELM documents."""
