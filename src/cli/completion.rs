//! `aws-iam-authenticator completion <shell>`: static completion scripts.
//!
//! The dynamic `COMPLETE=<shell>` protocol (what Homebrew's `:clap` completions call)
//! is handled in `main` before any argument parsing.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CliError};

/// Flags of `completion`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  aws-iam-authenticator completion bash > /etc/bash_completion.d/aws-iam-authenticator\n  aws-iam-authenticator completion zsh > \"${fpath[1]}/_aws-iam-authenticator\"\n  aws-iam-authenticator completion fish > ~/.config/fish/completions/aws-iam-authenticator.fish"
)]
pub(crate) struct CompletionArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    shell: Shell,
}

pub(crate) fn run(args: &CompletionArgs) -> Result<(), CliError> {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    clap_complete::generate(args.shell, &mut cmd, name, &mut std::io::stdout());
    Ok(())
}
