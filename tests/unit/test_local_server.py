"""The local server's files, without starting it: which GDS jars the server scans for procedures, the old
layout moved to the new one, and the settings written to neo4j.conf."""
from __future__ import annotations

import zipfile
from pathlib import Path

from ringtrace.core import config
from ringtrace.server import local_neo4j


def _jar(path: Path, classes: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        for name, body in classes.items():
            z.writestr(name, body)
    return path


def _procedure_class() -> bytes:  # a constant pool naming the annotation, as javac writes it
    return b"\xca\xfe\xba\xbe...RuntimeVisibleAnnotations...Lorg/neo4j/procedure/Procedure;..."


def test_only_jars_with_a_procedure_or_function_annotation_count_as_declaring_procedures(tmp_path):
    proc = _jar(tmp_path / "proc.jar", {"a/Proc.class": _procedure_class(), "a/Other.class": b"\xca\xfe"})
    func = _jar(tmp_path / "func.jar", {"a/F.class": b"..Lorg/neo4j/procedure/UserAggregationFunction;.."})
    plain = _jar(tmp_path / "lib.jar", {"a/Lib.class": b"\xca\xfe org/neo4j/procedure/Procedure without L;",
                                        "META-INF/x.txt": b"Lorg/neo4j/procedure/Procedure;"})  # not a class
    assert local_neo4j.declares_procedures(proc) and local_neo4j.declares_procedures(func)
    assert not local_neo4j.declares_procedures(plain)


def test_a_home_with_the_old_gds_layout_is_split_at_the_next_start(tmp_path):
    paths = config.LocalPaths(tmp_path / "home")
    paths.plugins_dir.mkdir(parents=True)
    _jar(paths.plugins_dir / "gds-proc.jar", {"P.class": _procedure_class()})
    _jar(paths.plugins_dir / "gds-core.jar", {"C.class": b"\xca\xfe"})
    (paths.plugins_dir / f".gds-{config.GDS_VERSION}").write_text("gds-core.jar\ngds-proc.jar\n")
    assert not local_neo4j.gds_installed(paths)
    local_neo4j._split_old_gds_layout(paths)
    assert local_neo4j.gds_installed(paths)
    assert [p.name for p in paths.plugins_dir.glob("*.jar")] == ["gds-proc.jar"]
    assert [p.name for p in paths.gds_lib_dir.glob("*.jar")] == ["gds-core.jar"]
    assert paths.gds_marker.read_text().split() == ["gds-core.jar", "gds-proc.jar"]
    local_neo4j._split_old_gds_layout(paths)  # once only
    assert [p.name for p in paths.plugins_dir.glob("*.jar")] == ["gds-proc.jar"]


def test_a_home_without_gds_is_left_alone(tmp_path):
    paths = config.LocalPaths(tmp_path / "home")
    paths.plugins_dir.mkdir(parents=True)
    local_neo4j._split_old_gds_layout(paths)
    assert not paths.gds_lib_dir.exists() and not local_neo4j.gds_installed(paths)


def test_the_conf_keeps_the_server_on_loopback_and_skips_bolts_quiet_period(tmp_path):
    paths = config.LocalPaths(tmp_path / "home")
    local_neo4j._write_conf(paths, 7999)
    conf = dict(line.split("=", 1) for line in (paths.conf_dir / "neo4j.conf").read_text().splitlines()
                if line and not line.startswith("#"))
    assert conf["server.bolt.listen_address"] == "127.0.0.1:7999"
    assert conf["server.default_listen_address"] == "127.0.0.1"
    assert conf["internal.dbms.bolt.netty_server_shutdown_quiet_period"] == "0"
    assert "dbms.security.procedures.unrestricted" not in conf  # no GDS installed here
