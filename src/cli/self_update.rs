//! `aws-iam-authenticator self-update` (cargo feature `self-update`). Placeholder wiring;
//! the implementation lives in the packaging work.

use clap::Args;

use super::{CliError, Context};

/// Flags of `self-update`.
#[derive(Debug, Args)]
pub(crate) struct SelfUpdateArgs {}

pub(crate) fn run(_ctx: &Context, _args: SelfUpdateArgs) -> Result<(), CliError> {
    Err(CliError::new("self-update is not available in this build"))
}
