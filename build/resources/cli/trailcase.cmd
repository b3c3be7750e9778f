@echo off
rem `trailcase` command of the installed TrailCase app (docs/packaging.md): runs the
rem app's own bundled CLI, `TrailCase.exe --cli COMMAND ...` (electron/main/main.ts).
rem electron-builder copies this folder to resources\bin\; add that folder to PATH.
setlocal
set ELECTRON_RUN_AS_NODE=
"%~dp0..\..\TrailCase.exe" --cli %*
exit /b %ERRORLEVEL%
