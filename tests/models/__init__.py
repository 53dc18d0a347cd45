"""Tests of the Model protocol through the registry: every engine implements it, and they agree."""
