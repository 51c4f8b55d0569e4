//! ARNs as the authenticator sees them: canonicalising what STS returns, stripping role
//! paths, and the `ArnLike` glob used by the SSO role matcher.
//!
//! Mirrors upstream's `pkg/arn` (`arn.go`: `Canonicalize`, `StripPath`; `arnlike.go`:
//! `ArnLike`), with parsing as the AWS SDK's `arn.Parse`: `arn:partition:service:
//! region:account:resource`, split on the first five `:` so the resource may itself
//! contain `:`.
//!
//! Canonicalisation exists because STS reports a caller that assumed a role as
//! `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, while mappings are written against
//! the role's IAM ARN `arn:aws:iam::ACCOUNT:role/ROLE`. STS never includes a role's
//! path, so a mapping written with a path never matches (upstream issue #268);
//! [`strip_path`] is the helper upstream's DynamicFile strict mode uses for that.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::error::Error;
use std::fmt;

use crate::partition::Partition;

/// Why an ARN was refused. `Display` gives upstream's text.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArnError {
    /// The SDK's `arn.Parse` failed: `arn '<x>' is invalid: 'arn: invalid prefix'`.
    Invalid {
        /// The ARN as given.
        arn: String,
        /// What the parser objected to.
        reason: ParseError,
    },
    /// The partition is not one of [`Partition::ALL`].
    UnrecognizedPartition {
        /// The ARN as given.
        arn: String,
    },
    /// An `assumed-role` resource without both a role and a session name.
    AssumedRoleWithoutRole {
        /// The ARN as given.
        arn: String,
    },
    /// An `sts` resource other than `assumed-role/…` or `federated-user/…`.
    UnrecognizedStsResource {
        /// The resource part of the ARN.
        resource: String,
    },
    /// An `iam` resource other than `role/…`, `user/…` or `root`.
    UnrecognizedIamResource {
        /// The resource part of the ARN.
        resource: String,
    },
    /// A service other than `iam` or `sts`.
    InvalidService {
        /// The service part of the ARN.
        service: String,
        /// The ARN as given.
        arn: String,
    },
    /// [`arn_like`]'s first argument does not parse: `could not parse input arn: …`.
    LikeInput {
        /// What the parser objected to.
        reason: ParseError,
    },
    /// [`arn_like`]'s pattern does not parse: `could not parse ArnLike string: …`.
    LikePattern {
        /// What the parser objected to.
        reason: ParseError,
    },
}

/// Why the six ARN sections could not be split out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The text does not start with `arn:`.
    InvalidPrefix,
    /// Fewer than six `:`-separated sections.
    NotEnoughSections,
}

impl ParseError {
    fn text(self) -> &'static str {
        match self {
            ParseError::InvalidPrefix => "invalid prefix",
            ParseError::NotEnoughSections => "not enough sections",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The SDK's own wording (`arn: invalid prefix`).
        write!(f, "arn: {}", self.text())
    }
}

impl Error for ParseError {}

impl fmt::Display for ArnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArnError::Invalid { arn, reason } => write!(f, "arn '{arn}' is invalid: '{reason}'"),
            ArnError::UnrecognizedPartition { arn } => {
                write!(f, "arn '{arn}' does not have a recognized partition")
            }
            ArnError::AssumedRoleWithoutRole { arn } => {
                write!(f, "assumed-role arn '{arn}' does not have a role")
            }
            ArnError::UnrecognizedStsResource { resource } => {
                write!(f, "unrecognized resource {resource} for service sts")
            }
            ArnError::UnrecognizedIamResource { resource } => {
                write!(f, "unrecognized resource {resource} for service iam")
            }
            ArnError::InvalidService { service, arn } => write!(
                f,
                "service {service} in arn {arn} is not a valid service for identities"
            ),
            ArnError::LikeInput { reason } => {
                write!(f, "could not parse input arn: {}", reason.text())
            }
            ArnError::LikePattern { reason } => {
                write!(f, "could not parse ArnLike string: {}", reason.text())
            }
        }
    }
}

impl Error for ArnError {}

/// What kind of principal an ARN names (upstream's `PrincipalType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PrincipalType {
    /// `arn:…:iam::…:role/…`.
    Role,
    /// `arn:…:iam::…:user/…`.
    User,
    /// `arn:…:iam::…:root`.
    Root,
    /// `arn:…:sts::…:federated-user/…`.
    FederatedUser,
    /// `arn:…:sts::…:assumed-role/…/…`.
    AssumedRole,
}

/// The six sections of an ARN, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sections<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

/// The SDK's `arn.Parse`.
fn parse(arn: &str) -> Result<Sections<'_>, ParseError> {
    if !arn.starts_with("arn:") {
        return Err(ParseError::InvalidPrefix);
    }
    let mut it = arn.splitn(6, ':');
    let _prefix = it.next();
    match (it.next(), it.next(), it.next(), it.next(), it.next()) {
        (Some(partition), Some(service), Some(region), Some(account), Some(resource)) => {
            Ok(Sections {
                partition,
                service,
                region,
                account,
                resource,
            })
        }
        _ => Err(ParseError::NotEnoughSections),
    }
}

/// Parses and checks the partition, as both `Canonicalize` and `StripPath` do first.
fn parse_known_partition(arn: &str) -> Result<Sections<'_>, ArnError> {
    let sections = parse(arn).map_err(|reason| ArnError::Invalid {
        arn: arn.to_owned(),
        reason,
    })?;
    if sections.partition.parse::<Partition>().is_err() {
        return Err(ArnError::UnrecognizedPartition {
            arn: arn.to_owned(),
        });
    }
    Ok(sections)
}

/// Whether `arn` is an IAM role ARN, `arn:<partition>:iam::<12 digits>:role/<path/>name`,
/// in one of [`Partition::ALL`]: what `token --role` must be. Checked before any network
/// call, so a typo (a role name, a user ARN) is reported as such instead of as an STS
/// validation error.
pub fn is_role_arn(arn: &str) -> bool {
    let Ok(sections) = parse_known_partition(arn) else {
        return false;
    };
    let Some(path_and_name) = sections.resource.strip_prefix("role/") else {
        return false;
    };
    let name = path_and_name.rsplit('/').next().unwrap_or_default();
    sections.service == "iam"
        && sections.region.is_empty()
        && sections.account.len() == 12
        && sections.account.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && !path_and_name.starts_with('/')
        && path_and_name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b':')
}

/// Upstream pkg/arn Canonicalize.
///
/// `iam` `role/…`, `user/…` and `root`, and `sts` `federated-user/…`, come back
/// unchanged; `sts` `assumed-role/<path…>/<role>/<session>` becomes
/// `arn:<partition>:iam::<account>:role/<path…>/<role>` (every segment between
/// `assumed-role` and the session). Anything else is an error.
pub fn canonicalize(arn: &str) -> Result<String, ArnError> {
    canonicalize_principal(arn).map(|(_, canonical)| canonical)
}

/// [`canonicalize`], also saying what kind of principal the ARN names (upstream's
/// `Canonicalize` returns both; the identity code needs the kind to split `UserId`).
pub fn canonicalize_principal(arn: &str) -> Result<(PrincipalType, String), ArnError> {
    let sections = parse_known_partition(arn)?;
    let parts: Vec<&str> = sections.resource.split('/').collect();
    let resource = parts.first().copied().unwrap_or_default();
    match sections.service {
        "sts" => match resource {
            "federated-user" => Ok((PrincipalType::FederatedUser, arn.to_owned())),
            "assumed-role" => {
                // assumed-role/<path…>/<role>/<session>: everything between the
                // resource type and the session name.
                let role_parts = match parts.get(1..parts.len().saturating_sub(1)) {
                    Some(role_parts) if parts.len() >= 3 => role_parts,
                    _ => {
                        return Err(ArnError::AssumedRoleWithoutRole {
                            arn: arn.to_owned(),
                        });
                    }
                };
                Ok((
                    PrincipalType::AssumedRole,
                    format!(
                        "arn:{}:iam::{}:role/{}",
                        sections.partition,
                        sections.account,
                        role_parts.join("/")
                    ),
                ))
            }
            _ => Err(ArnError::UnrecognizedStsResource {
                resource: sections.resource.to_owned(),
            }),
        },
        "iam" => match resource {
            "role" => Ok((PrincipalType::Role, arn.to_owned())),
            "user" => Ok((PrincipalType::User, arn.to_owned())),
            "root" => Ok((PrincipalType::Root, arn.to_owned())),
            _ => Err(ArnError::UnrecognizedIamResource {
                resource: sections.resource.to_owned(),
            }),
        },
        service => Err(ArnError::InvalidService {
            service: service.to_owned(),
            arn: arn.to_owned(),
        }),
    }
}

/// The account section of an ARN, for any partition and service (upstream's
/// `util.GetAccountFromArn`, used for the `x-amz-source-account` header). Only the
/// SDK's `arn.Parse` rules apply, as upstream.
pub fn account_id(arn: &str) -> Result<&str, ArnError> {
    parse(arn)
        .map(|sections| sections.account)
        .map_err(|reason| ArnError::Invalid {
            arn: arn.to_owned(),
            reason,
        })
}

/// role/a/b/name → role/name (upstream StripPath; used by DynamicFile strict mode). Non-role ARNs unchanged.
///
/// As upstream, the result is always spelled `arn:<partition>:iam::<account>:role/<name>`
/// (region dropped), and the ARN must parse and name a known partition.
pub fn strip_path(arn: &str) -> Result<String, ArnError> {
    let sections = parse_known_partition(arn)?;
    let parts: Vec<&str> = sections.resource.split('/').collect();
    if parts.first() != Some(&"role") || parts.len() <= 2 {
        return Ok(arn.to_owned());
    }
    let name = parts.last().copied().unwrap_or_default();
    Ok(format!(
        "arn:{}:iam::{}:role/{name}",
        sections.partition, sections.account
    ))
}

/// The IAM role ARN `arn` without its path (`arn:aws:iam::111122223333:role/path/to/Admin`
/// → `arn:aws:iam::111122223333:role/Admin`), or `None` when `arn` is not a role ARN
/// with a path (no change needed).
///
/// Why: STS names an assumed role `assumed-role/<name>/<session>`, without the role's
/// path, so a mapping written with the path never matched (upstream #268, where both
/// upstream and we answered 403). IAM role names are unique within an account whatever
/// their path, so the role is still named exactly once. Unlike [`strip_path`] this keeps
/// the region section and the case as written, and needs no known partition: it is used
/// on index keys, which are compared as they are.
pub fn drop_role_path(arn: &str) -> Option<String> {
    let sections = parse(arn).ok()?;
    if sections.service != "iam" {
        return None;
    }
    let rest = sections.resource.strip_prefix("role/")?;
    let (_path, name) = rest.rsplit_once('/')?;
    if name.is_empty() {
        return None;
    }
    Some(format!(
        "arn:{}:iam:{}:{}:role/{name}",
        sections.partition, sections.region, sections.account
    ))
}

/// Upstream ArnLike (pkg/arn/arnlike.go): 6 ':' sections, per-section glob with `*` → any run (not crossing ':'), `?` → zero or one char (upstream's quirk, keep it and document), anchored. Hand-written matcher (no regex crate).
///
/// Both arguments must start with `arn:` and have six sections (the sixth, the
/// resource, keeps any further `:`). Each pattern section must match the whole
/// corresponding ARN section. Upstream turns each section into the Go regexp
/// `^…$` with metacharacters escaped, `*` → `.*` and `?` → `.?`, so:
/// * `*` matches any run of characters within its section (a `*` in the resource
///   section may span `:`s inside the resource);
/// * `?` matches **zero or one** character, unlike IAM's `ArnLike` where it is exactly
///   one: `??????????????` (14) matches `role/some-role` (14) but also anything shorter.
///   Kept for compatibility: mappings written against upstream must keep matching;
/// * neither matches a newline (Go's `.`); matching is case-sensitive; every other
///   character is literal.
pub fn arn_like(arn: &str, pattern: &str) -> Result<bool, ArnError> {
    let arn_sections = split_six(arn).map_err(|reason| ArnError::LikeInput { reason })?;
    let pattern_sections = split_six(pattern).map_err(|reason| ArnError::LikePattern { reason })?;
    Ok(arn_sections
        .iter()
        .zip(pattern_sections.iter())
        .all(|(section, glob)| glob_match(glob, section)))
}

/// `strings.SplitN(input, ":", 6)` after the `arn:` prefix check.
fn split_six(input: &str) -> Result<[&str; 6], ParseError> {
    if !input.starts_with("arn:") {
        return Err(ParseError::InvalidPrefix);
    }
    let mut it = input.splitn(6, ':');
    match (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) {
        (Some(a), Some(b), Some(c), Some(d), Some(e), Some(f)) => Ok([a, b, c, d, e, f]),
        _ => Err(ParseError::NotEnoughSections),
    }
}

/// One element of an `ArnLike` section pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Glob {
    /// Matches exactly this character.
    Literal(char),
    /// `*`: any run of non-newline characters.
    Any,
    /// `?`: zero or one non-newline character.
    Optional,
}

/// Anchored match of one section, by simulating the pattern as an NFA: linear in
/// `pattern × text`, with no backtracking blow-up on patterns like `*a*a*a*b`.
fn glob_match(pattern: &str, text: &str) -> bool {
    let globs: Vec<Glob> = pattern
        .chars()
        .map(|c| match c {
            '*' => Glob::Any,
            '?' => Glob::Optional,
            c => Glob::Literal(c),
        })
        .collect();
    let mut states = vec![false; globs.len() + 1];
    if let Some(first) = states.first_mut() {
        *first = true;
    }
    close_over_skips(&globs, &mut states);
    for c in text.chars() {
        let mut next = vec![false; globs.len() + 1];
        for (i, glob) in globs.iter().enumerate() {
            if states.get(i) != Some(&true) {
                continue;
            }
            let target = match glob {
                Glob::Literal(l) if *l == c => Some(i + 1),
                Glob::Any if c != '\n' => Some(i),
                Glob::Optional if c != '\n' => Some(i + 1),
                _ => None,
            };
            if let Some(slot) = target.and_then(|t| next.get_mut(t)) {
                *slot = true;
            }
        }
        close_over_skips(&globs, &mut next);
        if !next.contains(&true) {
            return false;
        }
        states = next;
    }
    states.last() == Some(&true)
}

/// `*` and `?` may match nothing: a state before one also reaches the state after it.
fn close_over_skips(globs: &[Glob], states: &mut [bool]) {
    for (i, glob) in globs.iter().enumerate() {
        let skippable = matches!(glob, Glob::Any | Glob::Optional);
        if skippable
            && states.get(i) == Some(&true)
            && let Some(after) = states.get_mut(i + 1)
        {
            *after = true;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn role_arns() {
        for good in [
            "arn:aws:iam::111122223333:role/dev",
            "arn:aws:iam::111122223333:role/teams/platform/admin",
            "arn:aws-cn:iam::111122223333:role/a+b=c,d.e@f-g_h",
            "arn:aws-us-gov:iam::111122223333:role/x",
        ] {
            assert!(is_role_arn(good), "{good}");
        }
        for bad in [
            "dev",
            "arn:aws:iam::111122223333:user/alice",
            "arn:aws:sts::111122223333:assumed-role/dev/s",
            "arn:aws:iam::11112222333:role/dev",
            "arn:aws:iam::11112222333a:role/dev",
            "arn:aws:iam:us-east-1:111122223333:role/dev",
            "arn:nope:iam::111122223333:role/dev",
            "arn:aws:iam::111122223333:role/",
            "arn:aws:iam::111122223333:role/path/",
            "arn:aws:iam::111122223333:role/has space",
            "arn:aws:iam::111122223333:role//x",
        ] {
            assert!(!is_role_arn(bad), "{bad}");
        }
    }

    #[test]
    fn canonicalize_upstream_vectors() {
        let ok = [
            (
                "arn:aws:iam::123456789012:user/Alice",
                "arn:aws:iam::123456789012:user/Alice",
            ),
            (
                "arn:aws:iam::123456789012:role/Users",
                "arn:aws:iam::123456789012:role/Users",
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/Admin/Session",
                "arn:aws:iam::123456789012:role/Admin",
            ),
            (
                "arn:aws:sts::123456789012:federated-user/Bob",
                "arn:aws:sts::123456789012:federated-user/Bob",
            ),
            (
                "arn:aws:iam::123456789012:root",
                "arn:aws:iam::123456789012:root",
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/Org/Team/Admin/Session",
                "arn:aws:iam::123456789012:role/Org/Team/Admin",
            ),
            (
                "arn:aws:sts::123456789012:assumed-role/Alice/extra",
                "arn:aws:iam::123456789012:role/Alice",
            ),
            (
                "arn:aws-iso:iam::123456789012:user/Chris",
                "arn:aws-iso:iam::123456789012:user/Chris",
            ),
            (
                "arn:aws-iso-b:iam::123456789012:user/Chris",
                "arn:aws-iso-b:iam::123456789012:user/Chris",
            ),
            (
                "arn:aws-cn:sts::123456789012:assumed-role/R/s",
                "arn:aws-cn:iam::123456789012:role/R",
            ),
            (
                "arn:aws-eusc:sts::123456789012:assumed-role/R/s",
                "arn:aws-eusc:iam::123456789012:role/R",
            ),
            // The region is dropped from the canonical role ARN.
            (
                "arn:aws:sts:us-east-1:123456789012:assumed-role/R/s",
                "arn:aws:iam::123456789012:role/R",
            ),
            // The session may contain ':' (the resource keeps it).
            (
                "arn:aws:sts::123456789012:assumed-role/R/a:b",
                "arn:aws:iam::123456789012:role/R",
            ),
        ];
        for (arn, want) in ok {
            assert_eq!(canonicalize(arn).unwrap(), want, "{arn}");
        }
    }

    #[test]
    fn canonicalize_principal_types() {
        let cases = [
            ("arn:aws:iam::1:role/R", PrincipalType::Role),
            ("arn:aws:iam::1:user/U", PrincipalType::User),
            ("arn:aws:iam::1:root", PrincipalType::Root),
            (
                "arn:aws:sts::1:federated-user/F",
                PrincipalType::FederatedUser,
            ),
            (
                "arn:aws:sts::1:assumed-role/R/s",
                PrincipalType::AssumedRole,
            ),
        ];
        for (arn, kind) in cases {
            assert_eq!(canonicalize_principal(arn).unwrap().0, kind, "{arn}");
        }
    }

    #[test]
    fn canonicalize_errors_have_upstream_text() {
        let cases = [
            (
                "NOT AN ARN",
                "arn 'NOT AN ARN' is invalid: 'arn: invalid prefix'",
            ),
            ("arn", "arn 'arn' is invalid: 'arn: invalid prefix'"),
            (
                "arn:aws:iam::123456789012",
                "arn 'arn:aws:iam::123456789012' is invalid: 'arn: not enough sections'",
            ),
            ("", "arn '' is invalid: 'arn: invalid prefix'"),
            (
                "arn:aws-foo:iam::1:role/R",
                "arn 'arn:aws-foo:iam::1:role/R' does not have a recognized partition",
            ),
            (
                "arn:aws:sts::1:assumed-role/R",
                "assumed-role arn 'arn:aws:sts::1:assumed-role/R' does not have a role",
            ),
            (
                "arn:aws:sts::1:assumed-role",
                "assumed-role arn 'arn:aws:sts::1:assumed-role' does not have a role",
            ),
            (
                "arn:aws:sts::1:user/x",
                "unrecognized resource user/x for service sts",
            ),
            (
                "arn:aws:iam::1:group/g",
                "unrecognized resource group/g for service iam",
            ),
            (
                "arn:aws:s3:::bucket",
                "service s3 in arn arn:aws:s3:::bucket is not a valid service for identities",
            ),
        ];
        for (arn, text) in cases {
            assert_eq!(canonicalize(arn).unwrap_err().to_string(), text, "{arn}");
        }
    }

    #[test]
    fn account_id_of_any_arn() {
        assert_eq!(
            account_id("arn:aws:eks:us-west-2:111122223333:cluster/prod"),
            Ok("111122223333")
        );
        assert_eq!(
            account_id("arn:aws-cn:iam::444455556666:role/x"),
            Ok("444455556666")
        );
        assert_eq!(
            account_id("nope").map_err(|e| e.to_string()),
            Err("arn 'nope' is invalid: 'arn: invalid prefix'".to_string())
        );
        assert!(account_id("arn:aws:iam").is_err());
    }

    #[test]
    fn strip_path_like_upstream() {
        let cases = [
            (
                "arn:aws:iam::123456789012:role/path/for/this-role/matt",
                "arn:aws:iam::123456789012:role/matt",
            ),
            ("arn:aws:iam::1:role/a/b", "arn:aws:iam::1:role/b"),
            ("arn:aws:iam::1:role/name", "arn:aws:iam::1:role/name"),
            ("arn:aws:iam::1:user/a/b", "arn:aws:iam::1:user/a/b"),
            (
                "arn:aws:sts::1:assumed-role/R/s",
                "arn:aws:sts::1:assumed-role/R/s",
            ),
            ("arn:aws-cn:iam::1:role/p/q/r", "arn:aws-cn:iam::1:role/r"),
        ];
        for (arn, want) in cases {
            assert_eq!(strip_path(arn).unwrap(), want, "{arn}");
        }
        assert_eq!(
            strip_path("nope").unwrap_err().to_string(),
            "arn 'nope' is invalid: 'arn: invalid prefix'"
        );
        assert!(matches!(
            strip_path("arn:aws-x:iam::1:role/a/b"),
            Err(ArnError::UnrecognizedPartition { .. })
        ));
    }

    #[test]
    fn drop_role_path_keeps_the_role_name_only() {
        assert_eq!(
            drop_role_path("arn:aws:iam::111122223333:role/path/to/Admin").as_deref(),
            Some("arn:aws:iam::111122223333:role/Admin")
        );
        assert_eq!(
            drop_role_path(
                "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef"
            )
            .as_deref(),
            Some("arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef")
        );
        // Lowercased keys and other partitions work the same way.
        assert_eq!(
            drop_role_path("arn:aws-cn:iam::1:role/a/b").as_deref(),
            Some("arn:aws-cn:iam::1:role/b")
        );
        for unchanged in [
            "arn:aws:iam::111122223333:role/Admin",
            "arn:aws:iam::111122223333:role/path/",
            "arn:aws:iam::111122223333:user/path/bob",
            "arn:aws:sts::111122223333:assumed-role/Admin/session",
            "arn:aws:iam::111122223333:root",
            "AROAEXAMPLE",
            "",
        ] {
            assert_eq!(drop_role_path(unchanged), None, "{unchanged}");
        }
    }

    #[test]
    fn arn_like_positive_upstream_vectors() {
        let arn = "arn:aws:iam::000000000000:role/some-role";
        let patterns = [
            "arn:aws:iam::000000000000:role/some-role",
            "arn:aws:iam::000000000000:*",
            "arn:*:*:*:*:*",
            "arn:aws:iam::000000000000:**",
            "arn:aws:iam::000000000000:*role*",
            "arn:aws:iam::000000000000:ro*",
            "arn:aws:iam::000000000000:??????????????",
        ];
        for pattern in patterns {
            assert!(arn_like(arn, pattern).unwrap(), "{pattern}");
        }
        let wacky =
            r"arn:aws:testservice::000000000000:some/wacky-new-[resource]{with}\metacharacters";
        assert!(arn_like(wacky, wacky).unwrap());
        assert!(
            arn_like(
                wacky,
                "arn:aws:testservice::000000000000:some/wacky-new-[reso*"
            )
            .unwrap()
        );
    }

    #[test]
    fn arn_like_negative_upstream_vectors() {
        assert!(
            !arn_like(
                "arn:aws:iam::111111111111:role/some-role",
                "arn:aws:iam::000000000000:role/some-role"
            )
            .unwrap()
        );
        assert!(
            !arn_like(
                "arn:aws:testservice::000000000000:some/wacky:resource:with:colon:delims",
                "arn:aws:testservice::**:delims"
            )
            .unwrap()
        );
    }

    #[test]
    fn arn_like_semantics() {
        let arn = "arn:aws:iam::000000000000:role/some-role";
        // `?` is zero-or-one (upstream quirk): fewer characters still match...
        assert!(arn_like(arn, "arn:aws:iam::000000000000:role/some-rol??").unwrap());
        assert!(arn_like(arn, "arn:aws:iam::000000000000:role/some-role?").unwrap());
        assert!(arn_like(arn, "arn:aws:iam::000000000000:???????????????????").unwrap());
        // ...but never more than one each.
        assert!(!arn_like(arn, "arn:aws:iam::000000000000:?????????????").unwrap());
        // `.` and other regexp metacharacters are literal.
        assert!(!arn_like(arn, "arn:aws:iam::000000000000:role.some-role").unwrap());
        assert!(arn_like("arn:aws:iam::1:role/a.b", "arn:aws:iam::1:role/a.b").unwrap());
        assert!(!arn_like("arn:aws:iam::1:role/a+b", "arn:aws:iam::1:role/a+").unwrap());
        // Anchored on both ends, case-sensitive.
        assert!(!arn_like(arn, "arn:aws:iam::000000000000:role/some").unwrap());
        assert!(!arn_like(arn, "arn:aws:iam::000000000000:ole/some-role").unwrap());
        assert!(!arn_like(arn, "arn:aws:iam::000000000000:ROLE/some-role").unwrap());
        // `*` stays inside its section: the account section cannot swallow the resource.
        assert!(!arn_like(arn, "arn:aws:iam::*:some-role").unwrap());
        assert!(!arn_like(arn, "arn:aws:*::000000000000:role/x").unwrap());
        // A `*` in the resource section may span ':' inside the resource.
        assert!(arn_like("arn:aws:svc::1:a:b:c", "arn:aws:svc::1:a*c").unwrap());
        // Neither wildcard matches a newline (Go's `.`).
        assert!(!arn_like("arn:aws:iam::1:role/a\nb", "arn:aws:iam::1:role/*").unwrap());
        assert!(arn_like("arn:aws:iam::1:role/a\nb", "arn:aws:iam::1:role/a\nb").unwrap());
        // Multi-byte characters count as one.
        assert!(arn_like("arn:aws:iam::1:role/é", "arn:aws:iam::1:role/?").unwrap());
        // The SSO matcher's pattern shape.
        assert!(
            arn_like(
                "arn:aws:iam::012345678912:role/awsreservedsso_admin_0123456789abcdef",
                "arn:aws:iam::012345678912:role/awsreservedsso_admin_*"
            )
            .unwrap()
        );
        // No exponential backtracking.
        let long = format!("arn:aws:iam::1:role/{}", "a".repeat(3000));
        let evil = format!("arn:aws:iam::1:role/{}b", "*a".repeat(200));
        assert!(!arn_like(&long, &evil).unwrap());
    }

    #[test]
    fn arn_like_errors_have_upstream_text() {
        let valid = "arn:aws:iam::000000000000:role/some-role";
        assert_eq!(
            arn_like(valid, "arn:*").unwrap_err().to_string(),
            "could not parse ArnLike string: not enough sections"
        );
        assert_eq!(
            arn_like("nar:aws:iam::000000000000:role/some-role", valid)
                .unwrap_err()
                .to_string(),
            "could not parse input arn: invalid prefix"
        );
        assert_eq!(
            arn_like("arn:aws:iam:000000000000:role/some-role", valid)
                .unwrap_err()
                .to_string(),
            "could not parse input arn: not enough sections"
        );
        assert_eq!(
            arn_like(valid, "xarn:*:*:*:*:*").unwrap_err(),
            ArnError::LikePattern {
                reason: ParseError::InvalidPrefix
            }
        );
    }
}
