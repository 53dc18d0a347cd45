"""Tests of the `chainrule` command, one file per concern (a package: test_train.py is also a
top-level name)."""
