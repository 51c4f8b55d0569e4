//! AWS partitions, their STS hostnames, and the server-side host check for presigned URLs.
//!
//! Mirrors upstream's `pkg/endpoints` (the partition list and STS domains) and the host
//! half of `pkg/token` (`getStsRegion`, `verifyHost`, `verifySTSHostnameFormat`,
//! `getDefaultHostNamesForRegion`). The STS hostnames themselves come from the AWS SDK's
//! own STS endpoint rules ([`aws_sdk_sts::config::endpoint::DefaultResolver`]), as
//! upstream takes them from `sts.NewDefaultEndpointResolverV2`, so a host the SDK would
//! sign for is a host the server accepts.
//!
//! The host check exists because the server forwards the presigned URL to whatever host
//! it names: without it a client could point the server at its own endpoint and answer
//! "you are the admin role" itself.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashSet;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::{PoisonError, RwLock};
use std::task::{Context, Poll, Waker};

use aws_sdk_sts::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};

use crate::gofmt::go_quote;
use crate::token::error::TokenError;

/// An AWS partition: a set of regions sharing one DNS domain and one IAM namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-cn`: the China regions.
    AwsCn,
    /// `aws-us-gov`: AWS GovCloud (US).
    AwsUsGov,
    /// `aws-iso`: AWS ISO (US).
    AwsIso,
    /// `aws-iso-b`: AWS ISOB (US).
    AwsIsoB,
    /// `aws-iso-e`: AWS ISOE (Europe).
    AwsIsoE,
    /// `aws-iso-f`: AWS ISOF.
    AwsIsoF,
    /// `aws-eusc`: the AWS European Sovereign Cloud.
    AwsEusc,
}

impl Partition {
    /// Every partition, in upstream's order.
    pub const ALL: [Partition; 8] = [
        Partition::Aws,
        Partition::AwsCn,
        Partition::AwsUsGov,
        Partition::AwsIso,
        Partition::AwsIsoB,
        Partition::AwsIsoE,
        Partition::AwsIsoF,
        Partition::AwsEusc,
    ];

    /// The partition's identifier as it appears in ARNs and in `--partition`.
    pub fn id(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
            Partition::AwsIso => "aws-iso",
            Partition::AwsIsoB => "aws-iso-b",
            Partition::AwsIsoE => "aws-iso-e",
            Partition::AwsIsoF => "aws-iso-f",
            Partition::AwsEusc => "aws-eusc",
        }
    }

    /// The DNS domain of the partition's STS endpoints (upstream `GetSTSPartitionDomain`).
    pub fn domain(self) -> &'static str {
        match self {
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::AwsIso => "c2s.ic.gov",
            Partition::AwsIsoB => "sc2s.sgov.gov",
            Partition::AwsIsoE => "cloud.adc-e.uk",
            Partition::AwsIsoF => "csp.hci.ic.gov",
            Partition::AwsEusc => "amazonaws.eu",
        }
    }

    /// The dual-stack DNS domain, where upstream accepts one
    /// (upstream `GetSTSDualStackPartitionDomain`).
    pub fn dual_stack_domain(self) -> Option<&'static str> {
        match self {
            Partition::Aws | Partition::AwsUsGov => Some("api.aws"),
            Partition::AwsCn => Some("api.amazonwebservices.com.cn"),
            Partition::AwsEusc => Some("api.amazonwebservices.eu"),
            Partition::AwsIso | Partition::AwsIsoB | Partition::AwsIsoE | Partition::AwsIsoF => {
                None
            }
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Partition {
    type Err = UnknownPartition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Partition::ALL
            .into_iter()
            .find(|p| p.id() == s)
            .ok_or_else(|| UnknownPartition(s.to_owned()))
    }
}

/// A partition identifier that is not one of [`Partition::ALL`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownPartition(String);

impl UnknownPartition {
    /// The identifier that was given.
    pub fn input(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UnknownPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid partition {}: must be one of ",
            go_quote(&self.0)
        )?;
        for (i, p) in Partition::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(p.id())?;
        }
        Ok(())
    }
}

impl Error for UnknownPartition {}

/// Which variant of a regional STS endpoint to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EndpointFlavour {
    /// FIPS 140 endpoint (`sts-fips.…`).
    pub fips: bool,
    /// Dual-stack (IPv4 + IPv6) endpoint (`….api.aws` and friends).
    pub dual_stack: bool,
}

/// The SDK's STS endpoint rules could not produce a host for a region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointError(String);

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for EndpointError {}

/// The regional STS hostname (no scheme, no port) the AWS SDK's STS endpoint rules give for `region` (use_global_endpoint = false).
///
/// `("us-west-2", default)` gives `sts.us-west-2.amazonaws.com`, `cn-north-1` gives
/// `sts.cn-north-1.amazonaws.com.cn`, FIPS gives `sts-fips.us-west-2.amazonaws.com` and
/// dual-stack `sts.us-west-2.api.aws`. Unknown but well-formed regions fall back to the
/// `aws` partition's domain, as in the SDK. A region that fails upstream's region
/// syntax (`^[[:alnum:]]([[:alnum:]\-]*[[:alnum:]])?$`) is an error rather than a host.
pub fn sts_host(region: &str, flavour: EndpointFlavour) -> Result<String, EndpointError> {
    if !valid_region(region) {
        return Err(EndpointError(format!(
            "invalid region {}: must match ^[[:alnum:]]([[:alnum:]\\-]*[[:alnum:]])?$",
            go_quote(region)
        )));
    }
    resolve_host(&DefaultResolver::new(), region, flavour)
}

/// Runs the SDK's STS endpoint rules for one region and flavour, and keeps the host.
fn resolve_host(
    resolver: &DefaultResolver,
    region: &str,
    flavour: EndpointFlavour,
) -> Result<String, EndpointError> {
    let params = Params::builder()
        .region(region)
        .use_fips(flavour.fips)
        .use_dual_stack(flavour.dual_stack)
        .use_global_endpoint(false)
        .build()
        .map_err(|e| EndpointError(format!("invalid region {}: {e}", go_quote(region))))?;
    // The generated resolver computes the endpoint eagerly and hands back a future that
    // is already complete; one poll with a no-op waker collects it.
    let future = resolver.resolve_endpoint(&params);
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let endpoint = match future.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(endpoint)) => endpoint,
        Poll::Ready(Err(e)) => {
            return Err(EndpointError(format!(
                "no STS endpoint for region {}: {e}",
                go_quote(region)
            )));
        }
        Poll::Pending => {
            return Err(EndpointError(
                "the STS endpoint resolver did not complete synchronously".to_owned(),
            ));
        }
    };
    let url = endpoint.url();
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = after_scheme
        .split(['/', ':', '?', '#'])
        .next()
        .unwrap_or_default();
    if host.is_empty() {
        return Err(EndpointError(format!(
            "the STS endpoint {url} for region {} has no host",
            go_quote(region)
        )));
    }
    Ok(host.to_owned())
}

/// Upstream's `validateInputRegion`: `^[[:alnum:]]([[:alnum:]\-]*[[:alnum:]])?$`.
fn valid_region(region: &str) -> bool {
    let bytes = region.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

/// How many accepted hosts [`HostPolicy`] remembers. Upstream's map grows without
/// bound, and every `sts.<anything>.amazonaws.com` is accepted in `aws`, so a client
/// could otherwise grow it at will.
const MAX_CACHED_HOSTS: usize = 256;

/// Server-side host validation for presigned URLs (upstream verifyHost), holding a bounded cache (max 256 entries; upstream's grows without bound) of hosts already accepted.
///
/// The rules, in upstream's order:
/// 1. the region is `global` for `sts.amazonaws.com`, else the second label; fewer than
///    three labels is an error;
/// 2. `global` is accepted only in the `aws` partition;
/// 3. the region must match `^[[:alnum:]]([[:alnum:]\-]*[[:alnum:]])?$`;
/// 4. the host must be one of the SDK's STS endpoints for that region (FIPS and
///    dual-stack each on and off), or else `sts.<server region>.<partition domain>` or
///    `sts.<server region>.<dual-stack domain>` (accepted at once);
/// 5. the labels after the region must be the partition's domain or dual-stack domain.
///
/// As upstream documents, any well-formed `sts.<region>.amazonaws.com` passes in `aws`,
/// even for a region that does not exist: the SDK falls back to the commercial domain.
#[derive(Debug)]
pub struct HostPolicy {
    partition: Partition,
    server_region: Option<String>,
    resolver: DefaultResolver,
    accepted: RwLock<HashSet<String>>,
}

impl HostPolicy {
    /// A policy for a server in `partition`; `server_region` (normally from IMDS) enables
    /// upstream's fallback for regions the SDK does not know yet.
    pub fn new(partition: Partition, server_region: Option<String>) -> Self {
        HostPolicy {
            partition,
            server_region,
            resolver: DefaultResolver::new(),
            accepted: RwLock::new(HashSet::new()),
        }
    }

    /// The partition this policy accepts hosts for.
    pub fn partition(&self) -> Partition {
        self.partition
    }

    /// Ok(sts_region) where sts_region is "global" for sts.amazonaws.com, else the region label.
    ///
    /// The host is compared as given: this is upstream's check, without the stricter
    /// URL-level host rules of [`crate::token::verify::Verifier`].
    pub fn check(&self, host: &str) -> Result<String, TokenError> {
        let region = sts_region(host)?;
        let cached = self
            .accepted
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(host);
        if cached {
            return Ok(region);
        }
        self.verify_format(host, &region)?;
        let mut accepted = self
            .accepted
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if accepted.len() < MAX_CACHED_HOSTS {
            accepted.insert(host.to_owned());
        }
        Ok(region)
    }

    /// Upstream's `verifySTSHostnameFormat`.
    fn verify_format(&self, host: &str, region: &str) -> Result<(), TokenError> {
        if region == "global" {
            return if self.partition == Partition::Aws {
                Ok(())
            } else {
                Err(TokenError::GlobalEndpointUnsupported {
                    partition: self.partition,
                })
            };
        }
        if !valid_region(region) {
            return Err(TokenError::InvalidRegion {
                region: region.to_owned(),
            });
        }
        let resolved = [(true, true), (true, false), (false, true), (false, false)]
            .into_iter()
            .filter_map(|(fips, dual_stack)| {
                resolve_host(&self.resolver, region, EndpointFlavour { fips, dual_stack }).ok()
            })
            .any(|candidate| candidate == host);
        if !resolved {
            // Regions the SDK does not know yet but the server runs in (from IMDS).
            return if self.fallback_hosts().iter().any(|h| h == host) {
                Ok(())
            } else {
                Err(TokenError::UnexpectedHostname {
                    host: host.to_owned(),
                })
            };
        }
        let labels: Vec<&str> = host.split('.').collect();
        let Some(domain_labels) = labels.get(2..).filter(|_| labels.len() >= 4) else {
            return Err(TokenError::HostTooFewLabels {
                host: host.to_owned(),
            });
        };
        let domain = domain_labels.join(".");
        let matches_partition = domain == self.partition.domain()
            || self.partition.dual_stack_domain() == Some(domain.as_str());
        if matches_partition {
            Ok(())
        } else {
            Err(TokenError::PartitionMismatch {
                partition: self.partition,
                host: host.to_owned(),
            })
        }
    }

    /// Upstream's `getDefaultHostNamesForRegion(partition, serverRegion, "sts")`; empty
    /// when the server region is unknown or malformed.
    fn fallback_hosts(&self) -> Vec<String> {
        match self.server_region.as_deref() {
            Some(region) if valid_region(region) => {
                default_host_names(self.partition, region, "sts")
            }
            _ => Vec::new(),
        }
    }
}

/// `<service>.<region>.<domain>` and, where the partition has one,
/// `<service>.<region>.<dual-stack domain>`.
fn default_host_names(partition: Partition, region: &str, service: &str) -> Vec<String> {
    let mut hosts = vec![format!("{service}.{region}.{}", partition.domain())];
    if let Some(dual) = partition.dual_stack_domain() {
        hosts.push(format!("{service}.{region}.{dual}"));
    }
    hosts
}

/// Upstream's `getStsRegion`.
fn sts_region(host: &str) -> Result<String, TokenError> {
    if host.is_empty() {
        return Err(TokenError::HostEmpty);
    }
    let mut labels = host.split('.');
    let (Some(_), Some(second), Some(_)) = (labels.next(), labels.next(), labels.next()) else {
        return Err(TokenError::HostFormat {
            host: host.to_owned(),
        });
    };
    if host == "sts.amazonaws.com" {
        return Ok("global".to_owned());
    }
    Ok(second.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn p(id: &str) -> Partition {
        id.parse().unwrap()
    }

    #[test]
    fn partition_ids_round_trip() {
        for partition in Partition::ALL {
            assert_eq!(partition.id().parse::<Partition>(), Ok(partition));
            assert_eq!(partition.to_string(), partition.id());
        }
        let err = "aws-not-a-partition".parse::<Partition>().unwrap_err();
        assert_eq!(err.input(), "aws-not-a-partition");
        assert_eq!(
            err.to_string(),
            "invalid partition \"aws-not-a-partition\": must be one of aws, aws-cn, \
             aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc"
        );
        assert!("AWS".parse::<Partition>().is_err());
    }

    #[test]
    fn domains_match_upstream_table() {
        let table = [
            ("aws", "amazonaws.com", Some("api.aws")),
            (
                "aws-cn",
                "amazonaws.com.cn",
                Some("api.amazonwebservices.com.cn"),
            ),
            ("aws-us-gov", "amazonaws.com", Some("api.aws")),
            ("aws-iso", "c2s.ic.gov", None),
            ("aws-iso-b", "sc2s.sgov.gov", None),
            ("aws-iso-e", "cloud.adc-e.uk", None),
            ("aws-iso-f", "csp.hci.ic.gov", None),
            ("aws-eusc", "amazonaws.eu", Some("api.amazonwebservices.eu")),
        ];
        for (id, domain, dual) in table {
            assert_eq!(p(id).domain(), domain);
            assert_eq!(p(id).dual_stack_domain(), dual);
        }
    }

    #[test]
    fn sts_host_per_partition() {
        let plain = EndpointFlavour::default();
        let fips = EndpointFlavour {
            fips: true,
            dual_stack: false,
        };
        let dual = EndpointFlavour {
            fips: false,
            dual_stack: true,
        };
        let cases = [
            ("us-west-2", plain, "sts.us-west-2.amazonaws.com"),
            ("us-west-2", fips, "sts-fips.us-west-2.amazonaws.com"),
            ("us-west-2", dual, "sts.us-west-2.api.aws"),
            ("us-east-1", plain, "sts.us-east-1.amazonaws.com"),
            ("cn-north-1", plain, "sts.cn-north-1.amazonaws.com.cn"),
            (
                "cn-north-1",
                dual,
                "sts.cn-north-1.api.amazonwebservices.com.cn",
            ),
            ("us-gov-east-1", plain, "sts.us-gov-east-1.amazonaws.com"),
            ("us-gov-east-1", fips, "sts.us-gov-east-1.amazonaws.com"),
            ("us-iso-east-1", plain, "sts.us-iso-east-1.c2s.ic.gov"),
            ("us-isob-east-1", plain, "sts.us-isob-east-1.sc2s.sgov.gov"),
            ("eu-isoe-west-1", plain, "sts.eu-isoe-west-1.cloud.adc-e.uk"),
            (
                "us-isof-south-1",
                plain,
                "sts.us-isof-south-1.csp.hci.ic.gov",
            ),
            ("eusc-de-east-1", plain, "sts.eusc-de-east-1.amazonaws.eu"),
            ("not-a-region", plain, "sts.not-a-region.amazonaws.com"),
        ];
        for (region, flavour, want) in cases {
            assert_eq!(
                sts_host(region, flavour).unwrap(),
                want,
                "{region} {flavour:?}"
            );
        }
        for bad in ["", "us_east_1", "x.y", "-us", "us-", "a/b", "é"] {
            let err = sts_host(bad, plain).unwrap_err();
            assert!(
                err.to_string().starts_with("invalid region"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn region_syntax_matches_upstream_validator() {
        // TestRegionValidator.
        for (region, valid) in [
            ("us-east-1", true),
            ("invalid.com", false),
            ("@invalid.com/%23", false),
            ("local", true),
            ("9-west-1", true),
            ("us_east_1", false),
            ("a", true),
            ("", false),
        ] {
            assert_eq!(valid_region(region), valid, "{region}");
        }
    }

    #[test]
    fn get_sts_region_like_upstream() {
        // TestGetStsRegion.
        assert_eq!(sts_region("sts.amazonaws.com").unwrap(), "global");
        assert_eq!(
            sts_region("sts.us-west-2.amazonaws.com").unwrap(),
            "us-west-2"
        );
        assert_eq!(
            sts_region("sts.eu-central-1.amazonaws.com").unwrap(),
            "eu-central-1"
        );
        assert_eq!(sts_region(""), Err(TokenError::HostEmpty));
        assert!(matches!(
            sts_region("sts"),
            Err(TokenError::HostFormat { .. })
        ));
        assert!(matches!(
            sts_region("sts.wrongformat"),
            Err(TokenError::HostFormat { .. })
        ));
    }

    /// Upstream's `TestSTSEndpoints` and `TestSTSEndpointResolution`, minus the
    /// `aws-not-a-partition` rows, which cannot be expressed with a typed [`Partition`]
    /// (parsing it fails, tested above). Columns: partition, host, valid, server region.
    #[test]
    fn sts_endpoints_table() {
        let cases: &[(&str, &str, bool, &str)] = &[
            // The global endpoint is only supported in the commercial partition.
            ("aws", "sts.amazonaws.com", true, ""),
            ("aws-cn", "sts.amazonaws.com", false, ""),
            ("aws-us-gov", "sts.amazonaws.com", false, ""),
            ("aws-iso", "sts.amazonaws.com", false, ""),
            ("aws-iso-b", "sts.amazonaws.com", false, ""),
            ("aws-iso-e", "sts.amazonaws.com", false, ""),
            ("aws-iso-f", "sts.amazonaws.com", false, ""),
            ("aws-eusc", "sts.amazonaws.com", false, ""),
            // CN partition.
            ("aws-cn", "sts.cn-northwest-1.amazonaws.com.cn", true, ""),
            ("aws-cn", "sts.cn-north-1.amazonaws.com.cn", true, ""),
            ("aws-cn", "sts.us-iso-east-1.c2s.ic.gov", false, ""),
            ("aws-cn", "sts.not-a-region1.amazonaws.com.cn", false, ""),
            (
                "aws-cn",
                "sts.not-a-region2.amazonaws.com.cn",
                true,
                "not-a-region2",
            ),
            // AWS partition.
            ("aws", "sts-fips.us-west-2.amazonaws.com", true, ""),
            ("aws", "sts-fips.us-east-1.amazonaws.com", true, ""),
            ("aws", "sts.us-east-1.amazonaws.com", true, ""),
            ("aws", "sts.us-east-2.amazonaws.com", true, ""),
            ("aws", "sts.us-west-1.amazonaws.com", true, ""),
            ("aws", "sts.us-west-2.amazonaws.com", true, ""),
            ("aws", "sts.ap-south-1.amazonaws.com", true, ""),
            ("aws", "sts.ap-northeast-1.amazonaws.com", true, ""),
            ("aws", "sts.ap-northeast-2.amazonaws.com", true, ""),
            ("aws", "sts.ap-southeast-1.amazonaws.com", true, ""),
            ("aws", "sts.ap-southeast-2.amazonaws.com", true, ""),
            ("aws", "sts.ca-central-1.amazonaws.com", true, ""),
            ("aws", "sts.eu-central-1.amazonaws.com", true, ""),
            ("aws", "sts.eu-west-1.amazonaws.com", true, ""),
            ("aws", "sts.eu-west-2.amazonaws.com", true, ""),
            ("aws", "sts.eu-west-3.amazonaws.com", true, ""),
            ("aws", "sts.eu-north-1.amazonaws.com", true, ""),
            ("aws", "sts.amazonaws.com.cn", false, ""),
            ("aws", "website.amazonaws.com", false, ""),
            (
                "aws",
                "sts.default-region.amazonaws.com",
                true,
                "default-region",
            ),
            // ISO / GovCloud.
            ("aws-iso", "sts.us-iso-east-1.c2s.ic.gov", true, ""),
            ("aws-iso", "sts.cn-north-1.amazonaws.com.cn", false, ""),
            ("aws-iso-b", "sts.cn-north-1.amazonaws.com.cn", false, ""),
            ("aws-iso-b", "sts.us-isob-east-1.sc2s.sgov.gov", true, ""),
            ("aws-iso-e", "sts.eu-isoe-west-1.cloud.adc-e.uk", true, ""),
            ("aws-iso-f", "sts.us-isof-south-1.csp.hci.ic.gov", true, ""),
            ("aws-us-gov", "sts.us-gov-east-1.amazonaws.com", true, ""),
            ("aws-eusc", "sts.eusc-de-east-1.amazonaws.eu", true, ""),
            (
                "aws-eusc",
                "sts.eusc-de-east-1.api.amazonwebservices.eu",
                true,
                "",
            ),
            // FIPS.
            ("aws-cn", "sts-fips.us-east-1.amazonaws.com", false, ""),
            // Valid region, wrong (but valid) partition format.
            ("aws-cn", "sts.us-isob-east-1.amazonaws.com.cn", false, ""),
            (
                "aws-cn",
                "sts.us-isob-east-1.amazonaws.com.cn",
                true,
                "us-isob-east-1",
            ),
            (
                "aws-iso-b",
                "sts.us-isob-east-1.amazonaws.com.cn",
                false,
                "",
            ),
            (
                "aws-iso-b",
                "sts.us-isob-east-1.amazonaws.com.cn",
                false,
                "us-isob-east-1",
            ),
            // Dual stack.
            ("aws", "sts.us-west-2.api.aws", true, ""),
            (
                "aws-cn",
                "sts.cn-north-1.api.amazonwebservices.com.cn",
                true,
                "",
            ),
            (
                "aws",
                "sts.cn-north-1.api.amazonwebservices.com.cn",
                false,
                "",
            ),
            // The SDK falls back to the commercial domain for unknown regions, so any
            // well-formed commercial host passes.
            ("aws", "sts.not-a-region.amazonaws.com", true, ""),
            (
                "aws",
                "sts.not-a-region.amazonaws.com",
                true,
                "not-a-region",
            ),
            ("aws", "sts.not-a-region.amazonaws.com", true, "us-west-2"),
            ("aws-cn", "sts.not-a-region3.amazonaws.com.cn", false, ""),
            (
                "aws-cn",
                "sts.not-a-region4.amazonaws.com.cn",
                true,
                "not-a-region4",
            ),
            (
                "aws-cn",
                "sts.not-a-region5.amazonaws.com.cn",
                false,
                "us-west-2",
            ),
            // TestSTSEndpointResolution.
            ("aws-cn", "sts.us-west-2.amazonaws.com.cn", false, ""),
            ("aws", "sts.us-west-2.amazonaws.com.cn", false, ""),
            ("aws", "sts.us-west-2.amazonaws.com.cn", false, "us-west-2"),
            (
                "aws-cn",
                "sts.not-a-region.amazonaws.com",
                false,
                "not-a-region",
            ),
            // A port is not part of any SDK endpoint.
            ("aws", "sts.us-west-2.amazonaws.com:443", false, ""),
        ];
        for &(partition, host, valid, region) in cases {
            let region = (!region.is_empty()).then(|| region.to_owned());
            let policy = HostPolicy::new(p(partition), region.clone());
            let got = policy.check(host);
            assert_eq!(got.is_ok(), valid, "{partition} {host} {region:?}: {got:?}");
        }
    }

    #[test]
    fn host_errors_carry_upstream_reasons() {
        let aws = HostPolicy::new(Partition::Aws, None);
        let cn = HostPolicy::new(Partition::AwsCn, None);
        assert_eq!(aws.check("sts.amazonaws.com").unwrap(), "global");
        assert_eq!(
            aws.check("sts.us-west-2.amazonaws.com").unwrap(),
            "us-west-2"
        );
        assert_eq!(
            cn.check("sts.amazonaws.com"),
            Err(TokenError::GlobalEndpointUnsupported {
                partition: Partition::AwsCn
            })
        );
        assert_eq!(
            aws.check("google.com"),
            Err(TokenError::HostFormat {
                host: "google.com".into()
            })
        );
        assert_eq!(aws.check(""), Err(TokenError::HostEmpty));
        assert_eq!(
            aws.check("sts.us_west_2.amazonaws.com"),
            Err(TokenError::InvalidRegion {
                region: "us_west_2".into()
            })
        );
        assert_eq!(
            aws.check("website.amazonaws.com"),
            Err(TokenError::UnexpectedHostname {
                host: "website.amazonaws.com".into()
            })
        );
        assert_eq!(
            cn.check("sts-fips.us-east-1.amazonaws.com"),
            Err(TokenError::PartitionMismatch {
                partition: Partition::AwsCn,
                host: "sts-fips.us-east-1.amazonaws.com".into()
            })
        );
        // The SDK's iso dual-stack hosts are not in upstream's table.
        let iso = HostPolicy::new(Partition::AwsIso, None);
        assert!(matches!(
            iso.check("sts.us-iso-east-1.api.aws.ic.gov"),
            Err(TokenError::PartitionMismatch { .. })
        ));
    }

    #[test]
    fn default_host_names_like_upstream() {
        // Test_getDefaultHostNameForRegion.
        assert!(
            default_host_names(Partition::AwsIsoE, "eu-isoe-west-1", "test")
                .contains(&"test.eu-isoe-west-1.cloud.adc-e.uk".to_owned())
        );
        assert!(
            default_host_names(Partition::AwsIso, "us-iso-test-1", "sts")
                .contains(&"sts.us-iso-test-1.c2s.ic.gov".to_owned())
        );
        let bad = HostPolicy::new(Partition::AwsIso, Some("test_123".into()));
        assert!(bad.fallback_hosts().is_empty());
    }

    #[test]
    fn cache_holds_only_accepted_hosts_and_is_bounded() {
        // TestVerifyHostCaching.
        let policy = HostPolicy::new(Partition::Aws, None);
        for host in [
            "sts.us-west-2.amazonaws.com",
            "sts.ca-central-1.amazonaws.com",
        ] {
            policy.check(host).unwrap();
        }
        for host in ["invalid.amazonaws.com", "invalid2.amazonaws.com"] {
            policy.check(host).unwrap_err();
        }
        {
            let cache = policy.accepted.read().unwrap();
            assert!(cache.contains("sts.us-west-2.amazonaws.com"));
            assert!(cache.contains("sts.ca-central-1.amazonaws.com"));
            assert!(!cache.contains("invalid.amazonaws.com"));
            assert_eq!(cache.len(), 2);
        }
        // A cached host still reports its region.
        assert_eq!(
            policy.check("sts.us-west-2.amazonaws.com").unwrap(),
            "us-west-2"
        );

        // Every fake commercial region is valid, so a client can mint endless hosts.
        for i in 0..(MAX_CACHED_HOSTS + 50) {
            policy
                .check(&format!("sts.fake-{i}.amazonaws.com"))
                .unwrap();
        }
        assert_eq!(policy.accepted.read().unwrap().len(), MAX_CACHED_HOSTS);
        // Hosts past the bound are still checked and accepted, just not remembered.
        assert_eq!(
            policy.check("sts.fake-9999.amazonaws.com").unwrap(),
            "fake-9999"
        );
    }

    #[test]
    fn policy_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<HostPolicy>();
    }
}
