# SPDX-License-Identifier: (GPL-2.0 OR Linux-OpenIB)
"""Helpers shared by dmr's in-guest tests."""
