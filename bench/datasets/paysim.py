"""PaySim 2 first-party fraud clients: synthetic identities sharing email, phone and SSN, with a fraud label.

Source: github.com/Kineviz/paysim, file `data/raw/clients.csv` (email, id, isfraud, name, phonenumber,
ssn; the generator behind Neo4j's fraud-detection example).

    python bench/datasets/paysim.py RAW_CSV OUT_DIR

Each client becomes an account (its 16-digit numeric id kept as it is: they pass the Luhn check, which
the loader must not take for a card number); email, phone number and SSN become account identifiers
(kinds `email`, `phone`, `national_id`). The name is kept as an extra account column. `isfraud` goes to
truth.csv only.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

SOURCE = "github.com/Kineviz/paysim data/raw/clients.csv"
KINDS = {"email": "email", "phonenumber": "phone", "ssn": "national_id"}


def convert(raw: Path, out: Path) -> dict[str, int]:
    df = pd.read_csv(raw, dtype=str, keep_default_na=False)
    out.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"account_id": df["id"], "full_name": df["name"]}).to_csv(out / "accounts.csv", index=False)
    idents = pd.concat([pd.DataFrame({"account_id": df["id"], "kind": kind, "value": df[col].str.strip().str.lower()})
                        for col, kind in KINDS.items()], ignore_index=True)
    idents[idents["value"] != ""].to_csv(out / "account_identifiers.csv", index=False)
    fraud = df["isfraud"].str.lower() == "true"
    pd.DataFrame({"account_id": df["id"], "is_fraud": fraud.map({True: "true", False: "false"}),
                  "campaign_id": "", "org_id": "", "person_id": ""}).to_csv(out / "truth.csv", index=False)
    return {"accounts": len(df), "fraud": int(fraud.sum())}


if __name__ == "__main__":
    print(convert(Path(sys.argv[1]), Path(sys.argv[2])))
