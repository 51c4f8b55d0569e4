//! The `aws-iam-authenticator` binary: everything lives in the library; this only
//! answers shell-completion requests and hands the arguments to [`cli::run`].

use std::process::ExitCode;

use aws_iam_authenticator::cli;

fn main() -> ExitCode {
    clap_complete::CompleteEnv::with_factory(cli::command).complete();
    cli::run(std::env::args_os())
}
