//! `aws-iam-authenticator kubeconfig add|migrate`: the kubeconfig for an EKS cluster in
//! one command, and existing `aws eks get-token` / upstream users moved to this binary.
//! The work is in [`crate::kubeconfig`]; this module parses flags, talks to the
//! terminal and prints.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{CliError, runtime};
use crate::credentials::LoadOptions;
use crate::kubeconfig::add::{EntryOptions, entries, merge};
use crate::kubeconfig::describe::describe_cluster;
use crate::kubeconfig::detect::exec_command_path;
use crate::kubeconfig::file::backup;
use crate::kubeconfig::migrate::{plan, unified_diff};
use crate::kubeconfig::{Kubeconfig, resolve_path};

const EXAMPLES: &str = "\
Examples:
  # Add (or update) an EKS cluster and make it the current context
  aws-iam-authenticator kubeconfig add --cluster dev --region eu-west-1

  # Assume a role for DescribeCluster and for every token; name the context
  aws-iam-authenticator kubeconfig add --cluster prod -r arn:aws:iam::111122223333:role/admin --alias prod

  # Move users that run `aws eks get-token` or upstream aws-iam-authenticator to this binary
  aws-iam-authenticator kubeconfig migrate";

/// Flags of `kubeconfig`.
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub(crate) struct KubeconfigArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Add an EKS cluster (EKS DescribeCluster) to a kubeconfig, with a user that runs this binary
    Add(AddArgs),
    /// Rewrite users that run `aws eks get-token` or upstream aws-iam-authenticator to run this binary
    Migrate(MigrateArgs),
}

const ADD_EXAMPLES: &str = "\
Examples:
  # Write ~/.kube/config (or the first KUBECONFIG file) for cluster dev, and switch to it
  aws-iam-authenticator kubeconfig add --cluster dev --region eu-west-1

  # Show the result without writing it
  aws-iam-authenticator kubeconfig add --cluster dev --alias dev --dry-run";

const MIGRATE_EXAMPLES: &str = "\
Examples:
  # Show what would change
  aws-iam-authenticator kubeconfig migrate --dry-run

  # Rewrite without asking (keeps FILE.bak-<time> and prints how to undo)
  aws-iam-authenticator kubeconfig migrate --yes --kubeconfig ~/.kube/config";

#[derive(Debug, Args)]
#[command(after_help = ADD_EXAMPLES)]
struct AddArgs {
    /// The EKS cluster's name
    #[arg(long = "cluster", value_name = "NAME")]
    cluster: String,

    /// The cluster's region (default: AWS_REGION, the profile's region, IMDS, us-east-1)
    #[arg(long = "region", value_name = "REGION")]
    region: Option<String>,

    /// Assume this IAM role for DescribeCluster, and pass it to `token -r`
    #[arg(short = 'r', long = "role", value_name = "ROLE_ARN")]
    role: Option<String>,

    /// AWS profile (also written as AWS_PROFILE in the user's exec env)
    #[arg(long = "profile", value_name = "PROFILE")]
    profile: Option<String>,

    /// Name of the context (default: the cluster ARN)
    #[arg(long = "alias", value_name = "CONTEXT")]
    alias: Option<String>,

    /// The kubeconfig to write (default: first entry of KUBECONFIG, else ~/.kube/config)
    #[arg(long = "kubeconfig", value_name = "FILE")]
    kubeconfig: Option<PathBuf>,

    /// Print the resulting kubeconfig instead of writing it
    #[arg(long = "dry-run")]
    dry_run: bool,
}

#[derive(Debug, Args)]
#[command(after_help = MIGRATE_EXAMPLES)]
struct MigrateArgs {
    /// Rewrite without asking
    #[arg(short = 'y', long = "yes")]
    yes: bool,

    /// The kubeconfig to rewrite (default: first entry of KUBECONFIG, else ~/.kube/config)
    #[arg(long = "kubeconfig", value_name = "FILE")]
    kubeconfig: Option<PathBuf>,

    /// Print the diff only
    #[arg(long = "dry-run")]
    dry_run: bool,
}

pub(crate) fn run(args: KubeconfigArgs) -> Result<(), CliError> {
    match args.action {
        Action::Add(a) => add(a),
        Action::Migrate(a) => migrate(a),
    }
}

fn command_path() -> Result<PathBuf, CliError> {
    exec_command_path().ok_or_else(|| {
        CliError::new("cannot find the path of this executable to write as the exec command")
    })
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

fn add(args: AddArgs) -> Result<(), CliError> {
    if args.cluster.trim().is_empty() {
        return Err(CliError::new(
            "--cluster is empty; pass the EKS cluster's name",
        ));
    }
    let path = resolve_path(args.kubeconfig.as_deref()).map_err(CliError::from_error)?;
    // The file is checked before any network call: a broken kubeconfig fails fast.
    let mut config = Kubeconfig::load(&path).map_err(CliError::from_error)?;
    let command = command_path()?;
    let profile = non_empty(args.profile);
    let load = LoadOptions {
        region: non_empty(args.region),
        profile: profile.clone(),
        interactive: std::io::stdin().is_terminal(),
    };
    let role = non_empty(args.role);
    let (info, region) = runtime()?
        .block_on(describe_cluster(&args.cluster, &load, role.as_deref()))
        .map_err(CliError::from_error)?;
    let options = EntryOptions {
        role,
        // As `aws eks update-kubeconfig`: the session's profile, from the flag or AWS_PROFILE.
        profile: profile.or_else(|| non_empty(std::env::var("AWS_PROFILE").ok())),
        alias: non_empty(args.alias),
    };
    let new = entries(&info, &region, &command, &options);
    let context = new.context_name.clone();
    let updated = merge(&mut config, new);
    let text = config.render().map_err(CliError::from_error)?;
    if args.dry_run {
        print!("{text}");
        return Ok(());
    }
    config.write(&text).map_err(CliError::from_error)?;
    if updated {
        println!("Updated context {context} in {}", path.display());
    } else {
        println!("Added new context {context} to {}", path.display());
    }
    Ok(())
}

fn migrate(args: MigrateArgs) -> Result<(), CliError> {
    let path = resolve_path(args.kubeconfig.as_deref()).map_err(CliError::from_error)?;
    let config = Kubeconfig::load(&path).map_err(CliError::from_error)?;
    let Some(original) = config.original.clone() else {
        return Err(CliError::new(format!(
            "kubeconfig {} does not exist; pass --kubeconfig FILE",
            path.display()
        )));
    };
    let command = command_path()?;
    let plan = plan(&config, &command).map_err(CliError::from_error)?;
    for (user, reason) in &plan.skipped {
        eprintln!("skipping user {user:?}: {reason}");
    }
    if plan.changes.is_empty() {
        println!("nothing to migrate in {}", path.display());
        return Ok(());
    }
    let shown = path.display().to_string();
    print!(
        "{}",
        unified_diff(
            &original,
            &plan.new_text,
            &shown,
            &format!("{shown} (migrated)")
        )
    );
    if args.dry_run {
        return Ok(());
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::new(format!(
                "not rewriting {shown} without confirmation: stdin is not a terminal; pass --yes"
            )));
        }
        eprint!("Rewrite {} user(s) in {shown}? [y/N] ", plan.changes.len());
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| CliError::with_cause("cannot read the answer", e))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES") {
            println!("not changed: {shown}");
            return Ok(());
        }
    }
    let backup = backup(&path, time::OffsetDateTime::now_utc()).map_err(CliError::from_error)?;
    config.write(&plan.new_text).map_err(CliError::from_error)?;
    for change in &plan.changes {
        println!("migrated user {} (was {})", change.user, change.from);
    }
    println!("backup: {}", backup.display());
    println!("to undo: mv {} {}", backup.display(), shown);
    Ok(())
}
