; Inno Setup 6 script for GuideCode: a per-user installer of the onedir build (no admin rights needed).
;
;   iscc /DAppVersion=0.1.0 packaging\windows\guidecode.iss
;
; Input : dist\guidecode-onedir\ (bash packaging/build.sh onedir on Windows: GuideCode.exe + _internal\)
; Output: dist\GuideCode-<version>-setup.exe
; (/DSourceDir=... and /DOutputDir=... point elsewhere: packaging/windows/test_under_wine.sh builds in build\windows\.)
;
; Per user by default: into %LOCALAPPDATA%\Programs\GuideCode, the folder Windows itself uses for per-user
; programs, with no UAC prompt on a billing PC without admin rights. An administrator may pick "all users" in
; the first dialog (or /ALLUSERS): then Program Files. Silent install for IT roll-outs:
; GuideCode-<v>-setup.exe /VERYSILENT /SUPPRESSMSGBOXES [/ALLUSERS]. Upgrades install over the old version
; (same AppId, same folder); [InstallDelete] removes the old _internal\ first so old and new Qt/Python DLLs
; never mix; the user's settings, data packs and logs (%APPDATA%, %LOCALAPPDATA%\GuideCode) are never touched.
; Compiled, installed (per user and all users), upgraded and uninstalled on every CI run under Wine by
; packaging/windows/test_under_wine.sh; built on windows-2022 by .github/workflows/release.yml.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=x.y.z guidecode.iss
#endif
#define AppName "GuideCode"
#define AppExeName "GuideCode.exe"
#define RepoRoot AddBackslash(SourcePath) + "..\.."
#ifndef SourceDir
  #define SourceDir RepoRoot + "\dist\guidecode-onedir"
#endif
#ifndef OutputDir
  #define OutputDir RepoRoot + "\dist"
#endif
#ifndef Compression
  ; the upgrade test's older-version installer uses /DCompression=zip/1 to compile fast; releases never do
  #define Compression "lzma2/max"
#endif

[Setup]
; Fixed for the life of the product: Windows finds the installed copy (upgrade, uninstall) by it.
AppId={{50E54F92-AFA8-4346-8B83-4A8BB0BC4A90}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=GuideCode
AppComments=Offline reference for imaging-guidance codes in pain and spine procedures
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} setup
; {code:...} instead of {autopf}: the same folders on Windows, and Wine 8.0 (where CI tests it) cannot expand
; {autopf} per user ("Failed to expand shell folder constant").
DefaultDirName={code:DefaultInstallDir}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
; Qt 6.8+ supports Windows 10 1809 (build 17763) and later only.
MinVersion=10.0.17763
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#AppName}-{#AppVersion}-setup
SetupIconFile={#RepoRoot}\resources\icons\guidecode.ico
UninstallDisplayIcon={app}\{#AppExeName}
UninstallDisplayName={#AppName} {#AppVersion}
Compression={#Compression}
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
RestartApplications=no
SetupLogging=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; a clean upgrade: the previous version's runtime goes before the new one is copied
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\{#AppExeName}"; DestDir: "{app}"; Flags: ignoreversion
Source: "{#SourceDir}\_internal\*"; DestDir: "{app}\_internal"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Comment: "Which imaging-guidance code to bill"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Python may leave compiled caches next to the bundle; the user's settings, packs and logs live in
; %APPDATA% / %LOCALAPPDATA%\GuideCode and are kept.
Type: filesandordirs; Name: "{app}\_internal"

[Code]
// Per user (the default, non-admin install mode): %LOCALAPPDATA%\Programs\GuideCode, which is what {autopf}
// means per user on Windows. All users (admin install mode, /ALLUSERS): C:\Program Files\GuideCode.
function DefaultInstallDir(Param: String): String;
begin
  if IsAdminInstallMode then
    Result := ExpandConstant('{commonpf}\{#AppName}')
  else
    Result := ExpandConstant('{localappdata}\Programs\{#AppName}');
end;
