//! `aws-iam-authenticator cache list|clear`.

use clap::{Args, Subcommand};
use time::OffsetDateTime;

use super::output::{Format, json, yaml};
use super::{CliError, Context};
use crate::cache::{Cache, Listing, Storage, default_dir};
use crate::exec_credential::format_timestamp;

/// Flags of `cache`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  aws-iam-authenticator cache list\n  aws-iam-authenticator cache clear -i my-cluster\n  aws-iam-authenticator cache clear --all"
)]
pub(crate) struct CacheArgs {
    #[command(subcommand)]
    action: CacheAction,
}

#[derive(Debug, Subcommand)]
enum CacheAction {
    /// List cached entries: kind, storage, cluster, role, profile, region and expiry (never secrets)
    #[command(
        after_help = "Examples:\n  aws-iam-authenticator cache list\n  aws-iam-authenticator cache list -o json\n  aws-iam-authenticator cache list -o yaml"
    )]
    List {
        /// Output format
        #[arg(
            short = 'o',
            long = "output",
            default_value = "text",
            value_name = "FORMAT"
        )]
        output: Format,
    },
    /// Remove cached entries, from files and the keyring
    #[command(
        after_help = "Examples:\n  # the tokens of one cluster\n  aws-iam-authenticator cache clear -i my-cluster\n  aws-iam-authenticator cache clear cluster-a cluster-b\n  # every token and cached session credential\n  aws-iam-authenticator cache clear --all"
    )]
    Clear {
        /// Remove everything
        #[arg(long)]
        all: bool,
        /// Clusters whose tokens to remove (in addition to -i)
        clusters: Vec<String>,
    },
}

fn cache_error(e: crate::cache::CacheError) -> CliError {
    CliError::from_error(e)
}

pub(crate) fn run(ctx: &Context, args: CacheArgs) -> Result<(), CliError> {
    let dir = default_dir().map_err(cache_error)?;
    match args.action {
        CacheAction::List { output } => {
            let entries = if dir.exists() {
                Cache::open(dir, Storage::File)
                    .map_err(cache_error)?
                    .list()
                    .map_err(cache_error)?
            } else {
                if output == Format::Text {
                    eprintln!("no cache at {}", dir.display());
                }
                Vec::new()
            };
            match output {
                Format::Json => println!("{}", json(&entries)?),
                Format::Yaml => print!("{}", yaml(&entries)?),
                Format::Text => print_table(&entries),
            }
            Ok(())
        }
        CacheAction::Clear { all, mut clusters } => {
            if let Some(id) = ctx.cluster_id.clone() {
                clusters.push(id);
            }
            if !all && clusters.is_empty() {
                return Err(CliError::new(
                    "nothing to clear: pass --all, or -i CLUSTER (or cluster IDs as arguments)",
                ));
            }
            if !dir.exists() {
                eprintln!("removed 0 cache entries");
                return Ok(());
            }
            let cache = Cache::open(dir, Storage::File).map_err(cache_error)?;
            let removed = cache
                .clear(|e| {
                    all || e
                        .label
                        .cluster_id
                        .as_ref()
                        .is_some_and(|c| clusters.contains(c))
                })
                .map_err(cache_error)?;
            eprintln!(
                "removed {removed} cache entr{}",
                if removed == 1 { "y" } else { "ies" }
            );
            Ok(())
        }
    }
}

fn print_table(entries: &[Listing]) {
    let now = OffsetDateTime::now_utc();
    println!(
        "{:<12} {:<8} {:<20} {:<45} {:<12} {:<14} {:<21} STATE",
        "KIND", "STORAGE", "CLUSTER", "ROLE", "PROFILE", "REGION", "EXPIRES"
    );
    for e in entries {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        println!(
            "{:<12} {:<8} {:<20} {:<45} {:<12} {:<14} {:<21} {}",
            e.kind.to_string(),
            e.storage.to_string(),
            dash(&e.label.cluster_id),
            dash(&e.label.role),
            dash(&e.label.profile),
            dash(&e.label.region),
            format_timestamp(e.expires),
            if e.expires > now { "valid" } else { "expired" }
        );
    }
}
