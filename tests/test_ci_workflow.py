"""What CI proves can only run on GitHub, so its files are read and held to their promises here:
the suite on three OSes and two Pythons before any build, a native self-test of each build, tar
artifacts, actions pinned by commit, a per-user installer whose uninstaller leaves the vault, and a
make.ps1 that is the Makefile's twin on Windows."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from schoolmh.startup import QT_LINUX_LIBRARIES

ROOT = Path(__file__).resolve().parents[1]
THREE_OSES = {"windows-latest", "macos-latest", "ubuntu-latest"}


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "build.yml").read_text(encoding="utf-8"))


def steps_running(job: dict, text: str) -> list[dict]:
    return [step for step in job["steps"] if text in step.get("run", "")]


def runner_oses(job: dict) -> set[str]:
    runs_on = job["runs-on"]
    return set(job["strategy"]["matrix"]["os"]) if "matrix.os" in runs_on else {runs_on}


def test_the_suite_runs_on_three_oses_and_two_pythons(workflow):
    test = workflow["jobs"]["test"]
    assert set(test["strategy"]["matrix"]["os"]) == THREE_OSES
    assert {str(v) for v in test["strategy"]["matrix"]["python"]} == {"3.11", "3.12"}
    assert test["strategy"]["fail-fast"] is False
    (posix,) = steps_running(test, "make test")
    (windows,) = steps_running(test, "./make.ps1 test")
    assert posix["if"] == "runner.os != 'Windows'" and windows["if"] == "runner.os == 'Windows'"


def test_every_build_waits_for_the_suite_and_covers_the_three_oses(workflow):
    builds = [job for name, job in workflow["jobs"].items() if name != "test"]
    assert all(job["needs"] == "test" for job in builds)
    assert set().union(*(runner_oses(job) for job in builds)) == THREE_OSES


def test_each_build_self_tests_on_its_native_platform(workflow):
    jobs = workflow["jobs"]
    assert steps_running(jobs["build"], "xvfb-run -a make dist")  # xcb on Linux, not offscreen
    assert steps_running(jobs["build"], "SchoolMH.app/Contents/MacOS/schoolmh-cli --selftest")  # cocoa
    assert steps_running(jobs["windows"], "./make.ps1 dist")  # qwindows (make.ps1 runs the self-test)
    make_ps1 = (ROOT / "make.ps1").read_text(encoding="utf-8")
    assert "dist\\SchoolMH\\schoolmh-cli.exe') @('--selftest')" in make_ps1
    for job in jobs.values():  # an offscreen override would hide a missing platform plugin
        assert "QT_QPA_PLATFORM" not in str(job.get("env", {}))


def test_artifacts_are_tar_archives_or_the_installer(workflow):
    uploads = [s for job in workflow["jobs"].values() for s in job["steps"] if "upload-artifact" in s.get("uses", "")]
    assert len(uploads) == 3
    for step in uploads:
        assert step["with"]["archive"] is False  # uploaded as is, not re-zipped (a zip loses exec bits and symlinks)
        assert step["with"]["path"].endswith((".tar.gz", "-setup.exe"))
    assert sum(bool(steps_running(job, "tar -czf")) for job in workflow["jobs"].values()) == 2


def test_actions_are_pinned_by_commit(workflow):
    text = (ROOT / ".github" / "workflows" / "build.yml").read_text(encoding="utf-8")
    uses = re.findall(r"uses: (\S+)(.*)", text)
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.search(r"# v\d+\.\d+\.\d+", comment), f"{ref}: say which release the commit is"


def test_signing_runs_only_with_a_certificate_and_its_secrets_stay_in_one_environment(workflow):
    windows = workflow["jobs"]["windows"]
    assert windows["environment"] == "windows-signing"
    text = yaml.safe_dump(workflow)
    assert "secrets." not in yaml.safe_dump({k: v for k, v in workflow["jobs"].items() if k != "windows"})
    assert text.count("secrets.") == 3
    for step in windows["steps"]:
        if "signtool" in step.get("run", "").lower() and "/Sschoolmh" not in step.get("run", ""):
            assert step["if"] == "steps.signing.outputs.configured == 'true'"


def test_ci_installs_every_library_the_linux_hint_can_name(workflow):
    for step in steps_running(workflow["jobs"]["test"], "apt-get install") + steps_running(workflow["jobs"]["build"], "apt-get install"):
        assert set(QT_LINUX_LIBRARIES.values()) <= set(step["run"].split())


# --- the per-user installer ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def inno() -> dict[str, dict[str, str]]:
    """installer/SchoolMH.iss as {section: {key: value}} (Inno's INI-like format; [Code] kept as text)."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for line in (ROOT / "installer" / "SchoolMH.iss").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if re.fullmatch(r"\[\w+\]", stripped):
            current = sections.setdefault(stripped[1:-1], {})
        elif current is not None and stripped and not stripped.startswith((";", "#")):
            key, _, value = stripped.partition("=" if "=" in stripped.split(":")[0] else ":")
            current[key.strip()] = current.get(key.strip(), "") + value.strip()
    return sections


def test_installer_needs_no_admin_rights_and_installs_beside_not_into_the_vault(inno):
    setup = inno["Setup"]
    assert setup["PrivilegesRequired"] == "lowest"
    assert "PrivilegesRequiredOverridesAllowed" not in setup  # no "install for all users" elevation offer
    assert setup["DefaultDirName"] == r"{userpf}\SchoolMH"  # %LOCALAPPDATA%\Programs\SchoolMH
    assert setup["DisableDirPage"] == "yes"  # one known path for AppLocker path rules


def test_uninstaller_leaves_the_vault(inno):
    assert "UninstallDelete" not in inno  # removes only what it installed
    assert all("localappdata" not in value.lower() for value in inno["InstallDelete"].values())
    assert "{localappdata}\\SchoolMH" in (ROOT / "installer" / "SchoolMH.iss").read_text(encoding="utf-8")  # said at uninstall


def test_installer_packs_the_folder_build_spec_makes():
    spec = (ROOT / "build.spec").read_text(encoding="utf-8")
    iss = (ROOT / "installer" / "SchoolMH.iss").read_text(encoding="utf-8")
    assert 'name=APP_NAME' in spec and 'program(APP_NAME' in spec and '"schoolmh-cli"' in spec
    assert r'Source: "..\dist\SchoolMH\*"' in iss and r'{app}\SchoolMH.exe' in iss


# --- make.ps1: the Makefile's run and test on Windows --------------------------------------------------
def test_make_ps1_offers_the_makefile_targets_with_windows_venv_paths():
    ps1 = (ROOT / "make.ps1").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("run", "test", "dist", "clean"):
        assert re.search(rf"^{target}:", makefile, re.M) and f"'{target}' {{" in ps1
    assert "Join-Path $Venv 'Scripts'" in ps1 and "'python.exe'" in ps1 and "bin/" not in ps1
    assert "$env:QT_QPA_PLATFORM = 'offscreen'" in ps1  # as `make test`
    assert ".stamp-test" in ps1 and "LastWriteTimeUtc -gt" in ps1  # reinstalls when pyproject.toml changes


def test_readme_quick_start_gives_both_forms_and_the_linux_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme[readme.index("## Quick start"):readme.index("## What it looks like")]
    for command in ("make run", "make test", "make.ps1 run", "make.ps1 test"):
        assert command in quick
    (line,) = [s for s in quick.split("`") if s.startswith("sudo apt-get install ")]
    assert line.split()[3:] == list(QT_LINUX_LIBRARIES.values())
