//! `deploy/*.yaml` against a real kube-apiserver 1.34: runs `tests/e2e/deploy-check.sh`
//! (apply, CRD Established, RBAC as the ServiceAccount, the DaemonSet's args and config
//! started with this binary). See the script's header.
#![cfg(feature = "server")]

use std::process::Command;

#[test]
fn deploy_manifests_apply_and_rbac_is_least_privilege() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/deploy-check.sh");
    let out = Command::new("bash")
        .arg(script)
        .env("AIA_BIN", env!("CARGO_BIN_EXE_aws-iam-authenticator"))
        .output()
        .expect("run bash tests/e2e/deploy-check.sh");
    assert!(
        out.status.success(),
        "deploy-check.sh failed ({}):\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
