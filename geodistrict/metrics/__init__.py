"""Measures over areas: sector specialisation (location quotients, Krugman, diversity)."""
