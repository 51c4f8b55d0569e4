# Chocolatey install script (rendered by packaging/render.py): downloads the release zip and
# checks it against the sha256 pinned at render time. Chocolatey shims every .exe it unpacks
# here, so aws-iam-authenticator.exe lands on PATH.
$ErrorActionPreference = 'Stop'
$toolsDir = Split-Path -Parent $MyInvocation.MyCommand.Definition

$packageArgs = @{
  packageName    = $env:ChocolateyPackageName
  unzipLocation  = $toolsDir
  url64bit       = '@@URL:x86_64-pc-windows-msvc@@'
  checksum64     = '@@SHA256:x86_64-pc-windows-msvc@@'
  checksumType64 = 'sha256'
}
Install-ChocolateyZipPackage @packageArgs

# The kubectl plugin name: `kubectl iam-authenticator ...` runs the same binary.
$exe = Join-Path $toolsDir 'aws-iam-authenticator.exe'
Install-BinFile -Name 'kubectl-iam_authenticator' -Path $exe
