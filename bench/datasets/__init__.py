"""Converters from public labelled datasets to ringtrace's input format (../shared/data-contract.md).

Each converter names its source repository and path, reads the raw file you fetched yourself, and writes a
dataset directory plus `truth.csv` into a scratch folder. The data is never committed.
"""
