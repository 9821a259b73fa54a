"""The public e-commerce "Fraud_Data" take-home set: users with a device id, an IP address and a fraud label.

Source: github.com/joyceft/TakeHomeDataChallenge, file `fraud_data.csv` (a 30,189-user prefix of the
widely shared Fraud_Data.csv: user_id, signup_time, purchase_time, purchase_value, device_id, source,
browser, sex, age, ip_address, class).

    python bench/datasets/ecommerce.py RAW_CSV OUT_DIR

Each user becomes an account created at its sign-up time; its one purchase becomes a login from its
device and address at the purchase time. The IP address is stored in the file as a float (an integer
IPv4 address); it is written in dotted form. `class` goes to truth.csv only.
"""
from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import pandas as pd

SOURCE = "github.com/joyceft/TakeHomeDataChallenge fraud_data.csv"


def _iso(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format="mixed").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def convert(raw: Path, out: Path) -> dict[str, int]:
    df = pd.read_csv(raw, encoding="utf-8-sig").dropna(subset=["user_id", "signup_time", "class"])  # the last line is cut short
    out.mkdir(parents=True, exist_ok=True)
    ids = "u" + df["user_id"].astype("int64").astype(str)
    ip = df["ip_address"].map(lambda v: "" if pd.isna(v) else str(ipaddress.IPv4Address(int(v) % (1 << 32))))
    pd.DataFrame({"account_id": ids, "created_at": _iso(df["signup_time"]), "source": df["source"],
                  "browser": df["browser"]}).to_csv(out / "accounts.csv", index=False)
    pd.DataFrame({"account_id": ids, "ts": _iso(df["purchase_time"]), "ip": ip,
                  "device_id": df["device_id"]}).to_csv(out / "logins.csv", index=False)
    fraud = df["class"].astype(int) == 1
    pd.DataFrame({"account_id": ids, "is_fraud": fraud.map({True: "true", False: "false"}),
                  "campaign_id": "", "org_id": "", "person_id": ""}).to_csv(out / "truth.csv", index=False)
    return {"accounts": len(df), "fraud": int(fraud.sum())}


if __name__ == "__main__":
    print(convert(Path(sys.argv[1]), Path(sys.argv[2])))
