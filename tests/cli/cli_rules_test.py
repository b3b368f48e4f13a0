"""holdfast rules check: OK with the rule count, FILE:LINE:COL per error (exit 2), unreadable 1.

Usage: cli_rules_test.py HOLDFAST DEFAULT_RULES
"""
import os
import subprocess
import sys
import tempfile


def run(exe, path):
    p = subprocess.run([exe, "rules", "check", path], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    exe, pack = sys.argv[1], sys.argv[2]
    code, out, _ = run(exe, pack)
    assert code == 0, (code, out)
    assert out.startswith("OK: ") and out.strip().endswith(" rules"), out
    assert int(out.split()[1]) >= 15, out

    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.rules")
        with open(bad, "w") as f:
            f.write("rule a when amount > 1 then approve\n"
                    "rule b\n  when nosuch > 1 then approve\n"
                    "rule c when amount > 1 then decline 59\n")
        code, out, _ = run(exe, bad)
        assert code == 2, (code, out)
        lines = out.strip().split("\n")
        assert lines == [
            bad + ":3:8: unknown feature or constant 'nosuch'",
            bad + ":5:1: expected a reason in double quotes (at end of file)",
        ], lines
        code, out, err = run(exe, os.path.join(d, "missing.rules"))
        assert code == 1 and "cannot read" in err, (code, out, err)
    print("ok")


if __name__ == "__main__":
    main()
