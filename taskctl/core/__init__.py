"""The pure core: models, loader, checks, planning, verification. No printing, no exits."""
