"""The kill switch from the command line: `midfreq kill-switch` halts a running `midfreq run`
(another process, found through its pid file), every working order is cancelled and logged with
its strategy, later orders are denied; mistakes are one clear line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from midfreq.cli import main

MIDFREQ = [sys.executable, "-m", "midfreq.cli"]
HERE = Path(__file__).parent


def test_kill_switch_halts_a_running_paper_session(tmp_path: Path) -> None:
    config = {
        "data_feed": {
            "symbols": ["AAA", "BBB"],
            "update_frequency": 100,
            "synthetic": {"seed": 3, "quotes_per_second": 20.0},
        },
        "strategies": {"resting": {"class": "resting_strategy:RestingLimitStrategy"}},
        "logging": {"file": str(tmp_path / "run.log")},
    }
    path = tmp_path / "paper.yaml"
    path.write_text(yaml.safe_dump(config))
    pid_file = tmp_path / "run.pid"
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    process = subprocess.Popen(
        [*MIDFREQ, "run", "--config", str(path), "--duration", "60", "--pid-file", str(pid_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # both resting orders are working
            if "open orders 2" in process.stdout.readline():
                break
        assert int(pid_file.read_text()) == process.pid

        killed = subprocess.run(
            [*MIDFREQ, "kill-switch", "--pid-file", str(pid_file), "--reason", "test halt"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert killed.returncode == 0, killed.stderr
        assert f"kill switch sent to midfreq run (process {process.pid})" in killed.stdout
        deadline = time.monotonic() + 30
        seen = ""
        while time.monotonic() < deadline and "KILL SWITCH" not in seen:
            seen = process.stdout.readline()
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 0, err
    assert "KILL SWITCH by" in seen and "test halt; 2 working orders cancelled" in seen
    assert "trading_state      HALTED" in out
    assert "open_orders        0" in out
    assert not pid_file.exists()  # removed at exit
    records = [json.loads(line) for line in (tmp_path / "run.log").read_text().splitlines()]
    (kill,) = [r for r in records if r["event"] == "kill switch activated"]
    assert kill["reason"] == "test halt" and kill["orders_cancelled"] == 2
    assert {o["strategy_id"] for o in kill["orders"]} == {"resting-001"}
    assert any(r["event"] == "trading state changed" and r["state"] == "HALTED" for r in records)


def test_kill_switch_mistakes_are_one_clear_line(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "none.pid"
    assert main(["kill-switch", "--pid-file", str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: --pid-file: expected the file a running `midfreq run`")

    stale = tmp_path / "stale.pid"
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale.write_text(done.stdout)  # a process that has exited
    assert main(["kill-switch", "--pid-file", str(stale)]) == 2
    err = capsys.readouterr().err.strip()
    assert "which is not running" in err


def test_a_second_run_refuses_a_pid_file_a_live_run_holds(tmp_path: Path, capsys) -> None:
    held = tmp_path / "held.pid"
    held.write_text(f"{os.getppid()}\n")  # a live process that is not this one
    assert (
        main(
            [
                "run",
                "--config",
                str(HERE.parent.parent / "config" / "config.example.yaml"),
                "--duration",
                "1",
                "--pid-file",
                str(held),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --pid-file: expected a file no running midfreq holds")
