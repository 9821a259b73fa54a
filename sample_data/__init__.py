"""The committed synthetic sample (`small/`), shipped as package data so an installed ringtrace has it.

`ringtrace demo` reads it through `ringtrace.config.sample_dir()`, never relative to a checkout.
"""
