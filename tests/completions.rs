//! Packaging checks on the command line itself:
//!
//! * `completions/` (shipped in the release archives and the crate) matches what
//!   clap_complete renders from the CLI today. Regenerate with
//!   `cargo run -p xtask -- completions`. The files describe the released binary (client +
//!   `self-update`, no `server`), so this check runs in builds with `self-update`
//!   (`cargo test --all-features` does).
//! * `--help` of the binary and of every subcommand shows examples.

#[path = "../xtask/src/surface.rs"]
#[allow(dead_code)]
mod surface;

use std::process::Command;

#[cfg(feature = "self-update")]
#[test]
fn checked_in_completions_are_current() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let cmd = surface::release_command();
    let mut stale = Vec::new();
    for shell in surface::SHELLS {
        let path = dir.join(surface::file_name(shell));
        let want = surface::render(shell, &cmd);
        match std::fs::read(&path) {
            Ok(have) if have == want => {}
            Ok(_) => stale.push(format!("{} (differs)", path.display())),
            Err(e) => stale.push(format!("{} ({e})", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "stale completions, run `cargo run -p xtask -- completions`:\n  {}",
        stale.join("\n  ")
    );
}

#[cfg(feature = "self-update")]
#[test]
fn released_cli_has_self_update_and_no_server() {
    let cmd = surface::release_command();
    let names: Vec<_> = cmd.get_subcommands().map(|s| s.get_name()).collect();
    assert!(names.contains(&"self-update"), "{names:?}");
    assert!(names.contains(&"token"), "{names:?}");
    for server_only in surface::SERVER_ONLY {
        assert!(!names.contains(server_only), "{names:?}");
    }
}

/// `without_subcommands` copies the command by hand (clap cannot remove a subcommand);
/// dropping nothing must give byte-identical completions, so nothing is lost in the copy.
#[test]
fn copied_command_renders_identically() {
    let full = aws_iam_authenticator::cli::command();
    let copy = surface::without_subcommands(&full, &[]);
    for shell in surface::SHELLS {
        assert_eq!(
            String::from_utf8(surface::render(shell, &full)).unwrap(),
            String::from_utf8(surface::render(shell, &copy)).unwrap(),
            "{shell:?}"
        );
    }
}

/// Every subcommand path of `cmd` below `prefix` (without clap's `help`).
fn subcommand_paths(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let mut path = prefix.clone();
        path.push(sub.get_name().to_owned());
        out.push(path.clone());
        subcommand_paths(sub, path, out);
    }
}

#[test]
fn every_help_shows_examples() {
    let mut paths = vec![Vec::new()];
    subcommand_paths(
        &aws_iam_authenticator::cli::command(),
        Vec::new(),
        &mut paths,
    );
    assert!(paths.len() > 4, "{paths:?}");

    let mut missing = Vec::new();
    for path in &paths {
        let help_at = |columns: &str| {
            let out = Command::new(env!("CARGO_BIN_EXE_aws-iam-authenticator"))
                .args(path)
                .arg("--help")
                .env_remove("COMPLETE")
                .env("COLUMNS", columns)
                .output()
                .unwrap();
            assert!(out.status.success(), "{path:?} --help: {out:?}");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let shown = format!("{} --help", path.join(" "));
        let wide = help_at("300");
        let Some((_, examples)) = wide.split_once("Examples:") else {
            missing.push(shown.trim().to_owned());
            continue;
        };
        // Copy-paste must work on any terminal: every example line is printed whole,
        // however narrow the terminal (clap would re-wrap `after_help`).
        let narrow = help_at("40");
        for line in examples.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                narrow.lines().any(|l| l == line),
                "{shown} at COLUMNS=40 does not print {line:?} whole:\n{narrow}"
            );
        }
    }
    assert!(
        missing.is_empty(),
        "help without an \"Examples:\" section: {}",
        missing.join(", ")
    );
}
