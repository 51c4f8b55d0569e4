//! `kubeconfig migrate`: exec users that run `aws eks get-token` or upstream's
//! `aws-iam-authenticator token` are rewritten to run this binary, with arguments of
//! the same meaning. Only `exec.command` and `exec.args` change; `env`,
//! `interactiveMode`, `apiVersion`, other users and everything else stay as they are.
//!
//! * `aws [--region R] [--profile P] eks get-token --cluster-name N [--region R]
//!   [--role-arn ARN] [--output json]` becomes `token -i N [--region R] [-r ARN]
//!   [--profile P]`. `--cluster-id ID` (an EKS on Outposts local cluster) means the
//!   token carries that ID: `-i ID`. Without `--region` both programs take the region
//!   from the environment or profile, so none is added.
//! * upstream's arguments are kept as they are, once this binary's own parser has
//!   accepted them (it takes every upstream `token` flag).
//! * a user whose command line cannot be translated with certainty (an awscli option
//!   with no counterpart, such as `--endpoint-url`) is left alone and reported.

use std::path::Path;

use super::detect::{ExecKind, aws_get_token_position, base_dir, classify};
use super::file::Kubeconfig;
use super::node::Node;

/// One user to rewrite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The user's name.
    pub user: String,
    /// What it ran.
    pub from: ExecKind,
    /// The new `args`.
    pub args: Vec<String>,
}

/// What `migrate` would do to one file.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The users rewritten, in file order.
    pub changes: Vec<Change>,
    /// Users left alone, with why.
    pub skipped: Vec<(String, String)>,
    /// The rewritten file (meaningless when `changes` is empty).
    pub new_text: String,
}

/// Plans the migration of `config` to the binary at `this`.
pub fn plan(config: &Kubeconfig, this: &Path) -> Result<Plan, super::KubeconfigError> {
    let mut root = config.root.clone();
    let mut changes = Vec::new();
    let mut skipped = Vec::new();
    let base = base_dir(&config.path);
    if let Some(Node::Seq(users)) = root.get_mut("users") {
        for user in users.iter_mut() {
            let name = user
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("")
                .to_string();
            let Some(exec) = user.get_mut("user").and_then(|u| u.get_mut("exec")) else {
                continue;
            };
            let Some(command) = exec
                .get("command")
                .and_then(Node::as_str)
                .map(str::to_string)
            else {
                continue;
            };
            let args = exec
                .get("args")
                .and_then(Node::string_list)
                .unwrap_or_default();
            let kind = classify(&command, &args, base, Some(this));
            let translated = match kind {
                ExecKind::AwsCli => from_aws_cli(&args),
                ExecKind::Upstream => from_upstream(&args),
                ExecKind::ThisBinary | ExecKind::Other => continue,
            };
            match translated {
                Ok(new_args) => {
                    exec.set("command", Node::str(this.to_string_lossy()));
                    exec.set("args", Node::strings(&new_args));
                    changes.push(Change {
                        user: name,
                        from: kind,
                        args: new_args,
                    });
                }
                Err(reason) => skipped.push((name, reason)),
            }
        }
    }
    let mut rewritten = config.clone();
    rewritten.root = root;
    Ok(Plan {
        new_text: rewritten.render()?,
        changes,
        skipped,
    })
}

/// Splits `--flag=value` / `--flag value`; returns the value and how many arguments
/// were used.
fn value_of<'a>(
    args: &'a [String],
    i: usize,
    flag: &str,
) -> Result<Option<(&'a str, usize)>, String> {
    let Some(arg) = args.get(i) else {
        return Ok(None);
    };
    if arg == flag {
        return match args.get(i + 1) {
            Some(v) => Ok(Some((v.as_str(), 2))),
            None => Err(format!("{flag} has no value")),
        };
    }
    Ok(arg
        .strip_prefix(flag)
        .and_then(|rest| rest.strip_prefix('='))
        .map(|v| (v, 1)))
}

/// `aws ... eks get-token ...` as this binary's `token` arguments.
pub fn from_aws_cli(args: &[String]) -> Result<Vec<String>, String> {
    let eks = aws_get_token_position(args).ok_or("not an `aws eks get-token` command")?;
    let mut region = None;
    let mut profile = None;
    let mut cluster_name = None;
    let mut cluster_id = None;
    let mut role = None;
    let mut i = 0;
    while i < args.len() {
        if i == eks {
            i += 2;
            continue;
        }
        let arg = &args[i];
        let mut took = None;
        for flag in [
            "--region",
            "--profile",
            "--cluster-name",
            "--cluster-id",
            "--role-arn",
            // argparse accepts unambiguous prefixes; update-kubeconfig writes `--role`.
            "--role",
        ] {
            if let Some((v, n)) = value_of(args, i, flag)? {
                let slot = match flag {
                    "--region" => &mut region,
                    "--profile" => &mut profile,
                    "--cluster-name" => &mut cluster_name,
                    "--cluster-id" => &mut cluster_id,
                    _ => &mut role,
                };
                *slot = Some(v.to_string());
                took = Some(n);
                break;
            }
        }
        if took.is_none() {
            // Options that only change how awscli prints or pages: no meaning here.
            if let Some((_, n)) = value_of(args, i, "--output")?.or(value_of(args, i, "--color")?) {
                took = Some(n);
            } else if [
                "--no-cli-pager",
                "--no-paginate",
                "--sts-regional-endpoints",
            ]
            .contains(&arg.as_str())
            {
                took = Some(if arg == "--sts-regional-endpoints" {
                    2
                } else {
                    1
                });
            }
        }
        match took {
            Some(n) => i += n,
            None => {
                return Err(format!(
                    "`aws eks get-token` option {arg:?} has no counterpart in `token`"
                ));
            }
        }
    }
    let id = cluster_id
        .or(cluster_name)
        .ok_or("neither --cluster-name nor --cluster-id is given")?;
    let mut out = vec!["token".to_string(), "-i".to_string(), id];
    if let Some(r) = region {
        out.extend(["--region".to_string(), r]);
    }
    if let Some(r) = role {
        out.extend(["-r".to_string(), r]);
    }
    if let Some(p) = profile {
        out.extend(["--profile".to_string(), p]);
    }
    Ok(out)
}

/// Upstream's arguments, kept when this binary's parser accepts them as `token`.
pub fn from_upstream(args: &[String]) -> Result<Vec<String>, String> {
    let argv = std::iter::once("aws-iam-authenticator".to_string()).chain(args.iter().cloned());
    match crate::cli::command().try_get_matches_from(argv) {
        Ok(m) if m.subcommand_name() == Some("token") => Ok(args.to_vec()),
        Ok(_) => Err("not a `token` command".into()),
        Err(e) => Err(format!(
            "arguments not accepted by this binary's `token`: {}",
            e.to_string().lines().next().unwrap_or_default()
        )),
    }
}

/// A unified diff of `old` and `new` (3 lines of context), headed by the two labels.
pub fn unified_diff(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = line_ops(&a, &b);
    let mut out = format!("--- {old_label}\n+++ {new_label}\n");
    const CONTEXT: usize = 3;
    // Indices into `ops` of changed lines, grouped into hunks.
    let changed: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| !matches!(op, Op::Same(..)))
        .map(|(i, _)| i)
        .collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CONTEXT);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CONTEXT + 1 {
            end = changed[k];
            k += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let hunk = &ops[start..end];
        let (a_start, b_start) = match ops.get(start) {
            Some(op) => op.positions(),
            None => (a.len(), b.len()),
        };
        let a_len = hunk.iter().filter(|o| !matches!(o, Op::Add(_))).count();
        let b_len = hunk.iter().filter(|o| !matches!(o, Op::Del(_))).count();
        let first = |start: usize, len: usize| if len == 0 { start } else { start + 1 };
        out.push_str(&format!(
            "@@ -{},{a_len} +{},{b_len} @@\n",
            first(a_start, a_len),
            first(b_start, b_len)
        ));
        for op in hunk {
            match op {
                Op::Same(i, _) => out.push_str(&format!(" {}\n", a[*i])),
                Op::Del(i) => out.push_str(&format!("-{}\n", a[*i])),
                Op::Add(j) => out.push_str(&format!("+{}\n", b[*j])),
            }
        }
    }
    out
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Same(usize, usize),
    Del(usize),
    Add(usize),
}

impl Op {
    /// The 0-based line positions in the old and new file where this op sits.
    fn positions(&self) -> (usize, usize) {
        match *self {
            Op::Same(i, j) => (i, j),
            Op::Del(i) => (i, 0),
            Op::Add(j) => (0, j),
        }
    }
}

/// The edit script: common prefix and suffix, and a longest-common-subsequence diff of
/// the middle (a whole-block replacement when the middle is too large to diff cheaply).
fn line_ops(a: &[&str], b: &[&str]) -> Vec<Op> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<Op> = (0..prefix).map(|i| Op::Same(i, i)).collect();
    let (n, m) = (am.len(), bm.len());
    if n.saturating_mul(m) > 4_000_000 {
        ops.extend((0..n).map(|i| Op::Del(prefix + i)));
        ops.extend((0..m).map(|j| Op::Add(prefix + j)));
    } else {
        // lcs[i][j]: LCS length of am[i..] and bm[j..].
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if am[i] == bm[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && am[i] == bm[j] {
                ops.push(Op::Same(prefix + i, prefix + j));
                i += 1;
                j += 1;
            } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
                ops.push(Op::Add(prefix + j));
                j += 1;
            } else {
                ops.push(Op::Del(prefix + i));
                i += 1;
            }
        }
    }
    // Deletions before additions inside a change, as diff(1) prints them.
    let mut k = 0;
    while k < ops.len() {
        let start = k;
        while k < ops.len() && !matches!(ops[k], Op::Same(..)) {
            k += 1;
        }
        ops[start..k].sort_by_key(|op| matches!(op, Op::Add(_)));
        if k == start {
            k += 1;
        }
    }
    let (a_off, b_off) = (a.len() - suffix, b.len() - suffix);
    ops.extend((0..suffix).map(|s| Op::Same(a_off + s, b_off + s)));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn aws_cli_arguments() {
        assert_eq!(
            from_aws_cli(&v(&[
                "--region",
                "eu-west-1",
                "eks",
                "get-token",
                "--cluster-name",
                "dev",
                "--output",
                "json",
                "--role",
                "arn:aws:iam::1:role/r"
            ]))
            .unwrap(),
            v(&[
                "token",
                "-i",
                "dev",
                "--region",
                "eu-west-1",
                "-r",
                "arn:aws:iam::1:role/r"
            ])
        );
        assert_eq!(
            from_aws_cli(&v(&[
                "eks",
                "get-token",
                "--cluster-id",
                "abc-123",
                "--cluster-name",
                "dev",
                "--role-arn=arn:r",
                "--profile",
                "p"
            ]))
            .unwrap(),
            v(&["token", "-i", "abc-123", "-r", "arn:r", "--profile", "p"])
        );
        assert!(
            from_aws_cli(&v(&[
                "eks",
                "get-token",
                "--cluster-name",
                "x",
                "--endpoint-url",
                "http://e"
            ]))
            .unwrap_err()
            .contains("--endpoint-url")
        );
        assert!(from_aws_cli(&v(&["eks", "get-token"])).is_err());
    }

    #[test]
    fn upstream_arguments_are_checked_by_our_parser() {
        let ok = v(&[
            "token",
            "-i",
            "dev",
            "-r",
            "arn:r",
            "--forward-session-name",
            "--cache",
        ]);
        assert_eq!(from_upstream(&ok).unwrap(), ok);
        assert!(from_upstream(&v(&["token", "-i", "dev", "--no-such-flag"])).is_err());
        assert!(from_upstream(&v(&["verify", "-i", "dev"])).is_err());
    }

    #[test]
    fn diff_is_unified() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\n";
        let d = unified_diff(old, new, "x", "y");
        assert_eq!(
            d,
            "--- x\n+++ y\n@@ -2,9 +2,10 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n+k\n"
        );
        assert_eq!(unified_diff("a\n", "a\n", "x", "y"), "--- x\n+++ y\n");
    }
}
