; Clinic Desk: install-time preconfiguration for the NSIS installer (electron-builder `nsis.include`).
;
;   "Clinic-Desk-Setup-1.2.0-x64.exe" /S /SERVER=http://clinic-server:4780 /TERMINAL="Front desk 1"
;
; writes $INSTDIR\clinic-desk.json, which the app reads and validates at its first start
; (main/electron/preconfig.ts). Without /SERVER, a clinic-desk.json placed beside the installer is
; copied into the install folder instead. Values must not contain double quotes or backslashes.

!include "FileFunc.nsh"

!macro customInstall
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
    FileOpen $0 "$INSTDIR\clinic-desk.json" w
    FileWrite $0 '{ "serverUrl": "$R1", "terminalName": "$R2" }$\r$\n'
    FileClose $0
  ${ElseIf} ${FileExists} "$EXEDIR\clinic-desk.json"
    CopyFiles /SILENT "$EXEDIR\clinic-desk.json" "$INSTDIR\clinic-desk.json"
  ${EndIf}
!macroend

!macro customUnInstall
  ; Keep clinic-desk.json on updates (electron-updater runs the uninstaller of the old version).
  ${ifNot} ${isUpdated}
    Delete "$INSTDIR\clinic-desk.json"
  ${endIf}
!macroend
