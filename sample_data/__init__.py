"""The committed synthetic sample (`small/`), shipped as package data so an installed ringtrace has it.

`ringtrace demo` reads it through `ringtrace.core.config.sample_dir()`, never relative to a checkout.
"""
