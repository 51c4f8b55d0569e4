//! The command line as the release archives ship it, and its static completion scripts.
//!
//! Shared by `cargo xtask` (which writes `completions/`) and `tests/completions.rs` (which
//! fails when those files are stale), so both render the same bytes.
//!
//! The archives carry the client with `self-update`; `server` and `init` exist only in the
//! container image. A build with `--features server` still has to produce the archive's
//! completions, so [`release_command`] rebuilds the clap command without those
//! subcommands (clap has no "remove subcommand", and `hide` is ignored by the static
//! completion generators).

use clap::Command;
use clap_complete::Shell;

/// The installed binary's name.
pub const BIN: &str = "aws-iam-authenticator";

/// Subcommands that exist only in `--features server` builds (the container image).
pub const SERVER_ONLY: &[&str] = &["server", "init", "add"];

/// Every shell `completions/` has a file for.
pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// The command the release archives ship. Needs the library's `self-update` feature.
pub fn release_command() -> Command {
    without_subcommands(&aws_iam_authenticator::cli::command(), SERVER_ONLY)
}

/// A copy of `full` minus the top-level subcommands named in `drop`.
///
/// Copies everything the completion and man-page generators read; the test suite checks that
/// dropping nothing renders byte-identical completions for every shell.
pub fn without_subcommands(full: &Command, drop: &[&str]) -> Command {
    fn leak(s: &str) -> &'static str {
        Box::leak(s.to_owned().into_boxed_str())
    }
    let mut cmd = Command::new(leak(full.get_name()))
        .propagate_version(full.is_propagate_version_set())
        .subcommand_required(full.is_subcommand_required_set())
        .arg_required_else_help(full.is_arg_required_else_help_set())
        .disable_help_subcommand(full.is_disable_help_subcommand_set())
        .disable_help_flag(full.is_disable_help_flag_set())
        .disable_version_flag(full.is_disable_version_flag_set())
        .args_conflicts_with_subcommands(full.is_args_conflicts_with_subcommands_set())
        .args(full.get_arguments().cloned())
        .groups(full.get_groups().cloned())
        .subcommands(
            full.get_subcommands()
                .filter(|s| !drop.contains(&s.get_name()))
                .cloned(),
        );
    if let Some(bin) = full.get_bin_name() {
        cmd = cmd.bin_name(leak(bin));
    }
    if let Some(v) = full.get_version() {
        cmd = cmd.version(leak(v));
    }
    if let Some(v) = full.get_long_version() {
        cmd = cmd.long_version(leak(v));
    }
    if let Some(a) = full.get_author() {
        cmd = cmd.author(leak(a));
    }
    if let Some(s) = full.get_about() {
        cmd = cmd.about(s.clone());
    }
    if let Some(s) = full.get_long_about() {
        cmd = cmd.long_about(s.clone());
    }
    if let Some(s) = full.get_before_help() {
        cmd = cmd.before_help(s.clone());
    }
    if let Some(s) = full.get_before_long_help() {
        cmd = cmd.before_long_help(s.clone());
    }
    if let Some(s) = full.get_after_help() {
        cmd = cmd.after_help(s.clone());
    }
    if let Some(s) = full.get_after_long_help() {
        cmd = cmd.after_long_help(s.clone());
    }
    if let Some(h) = full.get_subcommand_help_heading() {
        cmd = cmd.subcommand_help_heading(leak(h));
    }
    if let Some(v) = full.get_subcommand_value_name() {
        cmd = cmd.subcommand_value_name(leak(v));
    }
    cmd
}

/// The file name `completions/` uses for `shell` (clap_complete's conventional names:
/// `aws-iam-authenticator.bash`, `_aws-iam-authenticator`, …).
pub fn file_name(shell: Shell) -> String {
    use clap_complete::Generator;
    shell.file_name(BIN)
}

/// The static completion script for `shell`, rendered from `cmd`.
pub fn render(shell: Shell, cmd: &Command) -> Vec<u8> {
    let mut cmd = cmd.clone();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut out);
    out
}
