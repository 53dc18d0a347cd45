"""Tests of chainrule.data (a package, so that its conftest does not shadow tests/conftest)."""
