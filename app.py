"""The ringtrace workbench for `streamlit run app.py` in a checkout.

The entry script itself is `workbench/entry/app.py`, installed with the package (`ringtrace app` runs
that one); this shim draws the same workbench, so both ways of starting it stay the same app.
"""
from workbench.entry.app import main

main()
