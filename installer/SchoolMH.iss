; SchoolMH per-user installer (Inno Setup 6): no administrator rights, no UAC prompt.
;
; Built by CI (.github/workflows/build.yml) and by `.\make.ps1 installer` after `.\make.ps1 dist`:
;   ISCC.exe /DAppVersion=0.1.0 installer\SchoolMH.iss
; With a code-signing certificate, CI adds /DSign and a sign tool named "schoolmh"
; (ISCC "/Sschoolmh=signtool.exe sign ... $f"), which signs setup and the uninstaller.
;
; The program goes to %LOCALAPPDATA%\Programs\SchoolMH. The vault is NOT part of the install:
; it lives in %LOCALAPPDATA%\SchoolMH (a different folder, created by the app), so uninstalling,
; repairing or upgrading never touches it. Nothing is written to Program Files or HKLM.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{A987C891-E700-4E25-BD39-B0B5E4541527}
AppName=SchoolMH
AppVersion={#AppVersion}
AppVerName=SchoolMH {#AppVersion}
AppPublisher=SchoolMH
VersionInfoVersion={#AppVersion}
PrivilegesRequired=lowest
; {userpf} is %LOCALAPPDATA%\Programs: one fixed folder, so IT can write an AppLocker path rule for it.
DefaultDirName={userpf}\SchoolMH
DisableDirPage=yes
DisableProgramGroupPage=yes
DisableReadyPage=yes
UsePreviousAppDir=yes
OutputDir=..\dist\installer
OutputBaseFilename=SchoolMH-{#AppVersion}-setup
UninstallDisplayName=SchoolMH
UninstallDisplayIcon={app}\SchoolMH.exe
; Close a running SchoolMH before its files are replaced (the vault is closed cleanly by the app).
CloseApplications=yes
RestartApplications=no
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
#ifdef Sign
SignTool=schoolmh
SignedUninstaller=yes
#endif

[Files]
Source: "..\dist\SchoolMH\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the program folder's contents (old libraries must not linger); never the vault.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\SchoolMH"; Filename: "{app}\SchoolMH.exe"; Comment: "School mental health records"

[Run]
Filename: "{app}\SchoolMH.exe"; Description: "Start SchoolMH"; Flags: nowait postinstall skipifsilent

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent then
    MsgBox('SchoolMH has been removed from this computer.' + #13#10#13#10 +
      'The vault (the encrypted records) was kept in ' + ExpandConstant('{localappdata}\SchoolMH') +
      '. Installing SchoolMH again opens it. To move the records to another laptop, use a backup; ' +
      'to erase them, delete that folder (after a backup, if the records must be kept).',
      mbInformation, MB_OK);
end;
