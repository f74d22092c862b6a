<#
.SYNOPSIS
    The Windows form of the Makefile: .\make.ps1 run | test | dist | installer | clean

.DESCRIPTION
    Windows has no make. Each target creates .venv the first time (python -m venv, then
    .venv\Scripts\python.exe) and reinstalls SchoolMH when pyproject.toml has changed, exactly
    like `make run` / `make test` on Linux and macOS. Extra arguments after `test` go to pytest:
        .\make.ps1 test tests\test_backup.py -x
    Where script execution is blocked (the Windows default), run it as:
        powershell -ExecutionPolicy Bypass -File make.ps1 test
    Python 3.10 or newer must be installed (python.org per-user installer, or the Microsoft Store);
    set $env:PYTHON to choose one, otherwise the `py` launcher or `python` on PATH is used.
#>
# A simple script (no [CmdletBinding()]), so arguments such as -x after the target reach pytest via $args.
param([string] $Target = 'run')

$ErrorActionPreference = 'Stop'
$Targets = @('run', 'test', 'dist', 'installer', 'clean')
if ($Targets -notcontains $Target) { throw "Unknown target '$Target': use one of $($Targets -join ', ')." }
$Rest = @($args)
Set-Location -LiteralPath $PSScriptRoot

$Venv = Join-Path $PSScriptRoot '.venv'
$Scripts = Join-Path $Venv 'Scripts'
$Python = Join-Path $Scripts 'python.exe'

function Invoke-Checked([string] $Exe, [string[]] $Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "'$Exe $($Arguments -join ' ')' failed with exit code $LASTEXITCODE"
    }
}

function Find-BasePython {
    if ($env:PYTHON) { return , @($env:PYTHON) }
    if (Get-Command py -ErrorAction SilentlyContinue) { return , @('py', '-3') }
    if (Get-Command python -ErrorAction SilentlyContinue) { return , @('python') }
    throw 'Python 3.10 or newer is needed: install it from python.org (per user, no admin rights) and run this again.'
}

function Initialize-Venv {
    if (Test-Path -LiteralPath $Python) { return }
    $base = Find-BasePython
    $baseArgs = @($base | Select-Object -Skip 1) + @('-m', 'venv', $Venv)
    Invoke-Checked $base[0] $baseArgs
    Invoke-Checked $Python @('-m', 'pip', 'install', '-q', '--upgrade', 'pip')
}

# Install ".$Extras" unless the stamp file is newer than pyproject.toml (the Makefile's rule).
function Install-Project([string] $Extras, [string[]] $Stamps) {
    Initialize-Venv
    $stamp = Join-Path $Venv $Stamps[0]
    $stale = -not (Test-Path -LiteralPath $stamp)
    if (-not $stale) {
        $stale = (Get-Item -LiteralPath 'pyproject.toml').LastWriteTimeUtc -gt (Get-Item -LiteralPath $stamp).LastWriteTimeUtc
    }
    if ($stale) {
        Invoke-Checked $Python @('-m', 'pip', 'install', '-q', '-e', ".$Extras")
        foreach ($name in $Stamps) { Set-Content -LiteralPath (Join-Path $Venv $name) -Value (Get-Date -Format o) }
    }
}

function Invoke-Offscreen([string] $Exe, [string[]] $Arguments) {
    $previous = $env:QT_QPA_PLATFORM
    $env:QT_QPA_PLATFORM = 'offscreen'  # the suite runs headless, as `make test` does
    try { & $Exe @Arguments | Out-Host; return $LASTEXITCODE }
    finally { $env:QT_QPA_PLATFORM = $previous }
}

function Find-InnoSetup {
    $candidates = @(
        $env:ISCC,
        (Join-Path ${env:ProgramFiles(x86)} 'Inno Setup 6\ISCC.exe'),
        (Join-Path $env:ProgramFiles 'Inno Setup 6\ISCC.exe'),
        (Join-Path $env:LOCALAPPDATA 'Programs\Inno Setup 6\ISCC.exe')
    ) | Where-Object { $_ -and (Test-Path -LiteralPath $_) }
    if (-not $candidates) { throw 'Inno Setup 6 (ISCC.exe) was not found: install it, or set $env:ISCC to its path.' }
    return @($candidates)[0]
}

switch ($Target) {
    'run' {
        Install-Project '' @('.stamp-run')
        & (Join-Path $Scripts 'schoolmh.exe') @Rest
        exit $LASTEXITCODE
    }
    'test' {
        Install-Project '[test]' @('.stamp-test', '.stamp-run')
        exit (Invoke-Offscreen $Python (@('-m', 'pytest') + $Rest))
    }
    'dist' {
        Install-Project '[test]' @('.stamp-test', '.stamp-run')
        Invoke-Checked $Python @('-m', 'pip', 'install', '-q', '-e', '.[build]')
        Invoke-Checked (Join-Path $Scripts 'pyinstaller.exe') @('--noconfirm', '--clean', 'build.spec')
        # the console twin prints the results; the self-test uses the real Windows platform plugin
        Invoke-Checked (Join-Path $PSScriptRoot 'dist\SchoolMH\schoolmh-cli.exe') @('--selftest')
        exit 0
    }
    'installer' {
        if (-not (Test-Path -LiteralPath 'dist\SchoolMH\SchoolMH.exe')) { throw 'Run .\make.ps1 dist first.' }
        $version = & $Python -c 'import schoolmh; print(schoolmh.__version__)'
        Invoke-Checked (Find-InnoSetup) (@("/DAppVersion=$version") + $Rest + @('installer\SchoolMH.iss'))
        exit 0
    }
    'clean' {
        foreach ($folder in 'build', 'dist') {
            if (Test-Path -LiteralPath $folder) { Remove-Item -LiteralPath $folder -Recurse -Force }
        }
        exit 0
    }
}
