//! Project chores: `cargo run -p xtask -- <task>`; see `--help`.
//!
//! * `completions [--check]` writes (or checks) the static completion scripts in
//!   `completions/` for bash, zsh, fish, PowerShell and elvish.
//! * `man <DIR>` writes roff man pages (clap_mangen) for the binary and every subcommand.
//!
//! Both describe the CLI the release archives ship (client + `self-update`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod surface;

#[derive(Debug, Parser)]
#[command(name = "xtask", about = "Project chores for aws-iam-authenticator")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Regenerate completions/ (bash, zsh, fish, PowerShell, elvish) from the CLI
    Completions {
        /// Only check that the files are current; exit 1 when one is stale
        #[arg(long)]
        check: bool,
        /// Where the scripts live
        #[arg(long, default_value_os_t = repo_root().join("completions"))]
        dir: PathBuf,
    },
    /// Write man pages (section 1) for the binary and every subcommand into DIR
    Man {
        /// Output directory (created if missing)
        dir: PathBuf,
    },
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the repository")
        .to_path_buf()
}

fn main() -> ExitCode {
    let result = match Xtask::parse().task {
        Task::Completions { check, dir } => completions(&dir, check),
        Task::Man { dir } => man(&dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn completions(dir: &Path, check: bool) -> Result<(), String> {
    let cmd = surface::release_command();
    let mut stale = Vec::new();
    if !check {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    for shell in surface::SHELLS {
        let path = dir.join(surface::file_name(shell));
        let want = surface::render(shell, &cmd);
        let have = std::fs::read(&path).ok();
        if have.as_deref() == Some(want.as_slice()) {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else {
            std::fs::write(&path, &want).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "stale completion scripts (run `cargo run -p xtask -- completions`): {}",
            stale.join(", ")
        ))
    }
}

fn man(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    clap_mangen::generate_to(surface::release_command(), dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".1"))
        .collect();
    pages.sort();
    println!(
        "wrote {} man pages to {}: {}",
        pages.len(),
        dir.display(),
        pages.join(" ")
    );
    Ok(())
}
