"""Tests of the detection room."""
