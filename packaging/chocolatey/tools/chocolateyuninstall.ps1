# Removes the kubectl plugin shim; Chocolatey removes its own shim and the unpacked files.
$ErrorActionPreference = 'Stop'
Uninstall-BinFile -Name 'kubectl-iam_authenticator'
