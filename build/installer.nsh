; Clinic Desk: install-time preconfiguration for the NSIS installer (electron-builder `nsis.include`).
;
;   "Clinic-Desk-Setup-1.2.0-x64.exe" /S /SERVER=http://clinic-server:4780 /TERMINAL="Front desk 1"
;
; writes %ProgramData%\Clinic Desk\clinic-desk.json, which the app reads and validates at its first
; start for each user (main/electron/preconfig.ts). It lives outside the install folder because an
; update runs the old version's uninstaller, which empties the install folder before the new files go
; in. Without /SERVER, a clinic-desk.json placed beside the installer is copied there instead.
; Values must not contain double quotes or backslashes. Enforced settings (machine policy) live in
; the registry, HKLM\SOFTWARE\Policies\Clinic Desk (docs/admin.md).

!include "FileFunc.nsh"

!macro customInstall
  SetShellVarContext all
  CreateDirectory "$APPDATA\Clinic Desk"
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/SERVER=" $R1
  ${If} ${Errors}
    StrCpy $R1 ""
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/TERMINAL=" $R2
  ${If} ${Errors}
    ReadEnvStr $R2 COMPUTERNAME
  ${EndIf}

  ${If} $R1 != ""
    FileOpen $0 "$APPDATA\Clinic Desk\clinic-desk.json" w
    FileWrite $0 '{ "serverUrl": "$R1", "terminalName": "$R2" }$\r$\n'
    FileClose $0
  ${ElseIf} ${FileExists} "$EXEDIR\clinic-desk.json"
    CopyFiles /SILENT "$EXEDIR\clinic-desk.json" "$APPDATA\Clinic Desk\clinic-desk.json"
  ${ElseIf} ${FileExists} "$INSTDIR\clinic-desk.json"
    ; Left in the install folder by an older version: move it where updates leave it alone.
    Rename "$INSTDIR\clinic-desk.json" "$APPDATA\Clinic Desk\clinic-desk.json"
  ${EndIf}
!macroend

!macro customUnInstall
  ; An update runs this uninstaller too: keep the preconfiguration (and any policy.json) then.
  ${ifNot} ${isUpdated}
    SetShellVarContext all
    Delete "$APPDATA\Clinic Desk\clinic-desk.json"
    Delete "$INSTDIR\clinic-desk.json"
  ${endIf}
!macroend
