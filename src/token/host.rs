//! Which STS hosts a presigned URL may name: the server-side host check.
//!
//! Mirrors the host half of upstream's `pkg/token` (`getStsRegion`, `verifyHost`,
//! `verifySTSHostnameFormat`, `getDefaultHostNamesForRegion`). The check exists because
//! the server forwards the presigned URL to whatever host it names: without it a client
//! could point the server at its own endpoint and answer "you are the admin role"
//! itself. The partitions and the SDK's STS endpoint rules it checks against are
//! [`crate::partition`]'s.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashSet;
use std::sync::{PoisonError, RwLock};

use aws_sdk_sts::config::endpoint::DefaultResolver;

use crate::partition::{EndpointFlavour, Partition, resolve_host, valid_region};
use crate::token::error::TokenError;

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
/// 5. the labels after the region must be the partition's domain or dual-stack domain;
/// 6. (not upstream's) the region must match the partition's region pattern from the
///    SDK's partition metadata, unless it is the server's own region.
///
/// Upstream accepts any well-formed `sts.<label>.amazonaws.com` in `aws`, even for a
/// label that is no region (`sts.s3.amazonaws.com` is an S3 bucket host): the SDK falls
/// back to the commercial domain. Rule 6 closes that; a new region that follows the
/// partition's naming keeps working without an SDK update.
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
        self.verify_region_in_partition(host, &region)?;
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

    /// Beyond upstream, after its checks (so that where upstream refuses, its message
    /// is the one given): the region label must match the partition's region pattern
    /// ([`Partition::region_matches`]). New regions keep working; labels such as `s3`
    /// or `s3-accelerate`, which upstream's syntax admits and the SDK resolves to a host
    /// on the partition's domain that is not STS, are refused before any network call.
    /// The global endpoint and the server's own region (the fallback hosts) are exempt:
    /// neither is chosen by the caller.
    fn verify_region_in_partition(&self, host: &str, region: &str) -> Result<(), TokenError> {
        if region == "global"
            || self.partition.region_matches(region)
            || self.fallback_hosts().iter().any(|h| h == host)
        {
            return Ok(());
        }
        Err(TokenError::RegionNotInPartition {
            region: region.to_owned(),
            partition: self.partition,
        })
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
            // Stricter than upstream (which accepts the next and the last row): the
            // label must match the partition's region pattern, unless it is the
            // server's own region.
            ("aws", "sts.not-a-region.amazonaws.com", false, ""),
            (
                "aws",
                "sts.not-a-region.amazonaws.com",
                true,
                "not-a-region",
            ),
            ("aws", "sts.not-a-region.amazonaws.com", false, "us-west-2"),
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

    /// Labels upstream's syntax admits and the SDK resolves onto the partition's domain,
    /// though they are no STS region: refused, after upstream's own checks passed.
    #[test]
    fn labels_outside_the_partitions_region_pattern_are_refused() {
        let aws = HostPolicy::new(Partition::Aws, None);
        for (host, region) in [
            ("sts.s3.amazonaws.com", "s3"),
            ("sts.s3-accelerate.amazonaws.com", "s3-accelerate"),
            ("sts.s3-us-west-2.amazonaws.com", "s3-us-west-2"),
            ("sts.s3.api.aws", "s3"),
            ("sts-fips.s3.amazonaws.com", "s3"),
            ("sts.ec2.amazonaws.com", "ec2"),
            ("sts.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ] {
            assert_eq!(
                aws.check(host),
                Err(TokenError::RegionNotInPartition {
                    region: region.into(),
                    partition: Partition::Aws,
                }),
                "{host}"
            );
        }
        assert!(aws.accepted.read().unwrap().is_empty());
        // Real and future regions of the partition still pass, in every flavour.
        for host in [
            "sts.us-west-2.amazonaws.com",
            "sts.mx-central-1.amazonaws.com",
            "sts.ap-southeast-9.amazonaws.com",
            "sts-fips.eu-south-7.amazonaws.com",
            "sts.il-central-1.api.aws",
            "sts.amazonaws.com",
        ] {
            assert!(aws.check(host).is_ok(), "{host}");
        }
        // Where upstream refuses, its own error is still the one reported.
        assert!(matches!(
            aws.check("sts.s3_x.amazonaws.com"),
            Err(TokenError::InvalidRegion { .. })
        ));
        assert!(matches!(
            aws.check("sts.s3.amazonaws.com.cn"),
            Err(TokenError::UnexpectedHostname { .. })
        ));
        // Other partitions use their own patterns.
        let cn = HostPolicy::new(Partition::AwsCn, None);
        assert!(cn.check("sts.cn-south-1.amazonaws.com.cn").is_ok());
        assert!(matches!(
            cn.check("sts.s3.amazonaws.com.cn"),
            Err(TokenError::UnexpectedHostname { .. })
        ));
        let gov = HostPolicy::new(Partition::AwsUsGov, None);
        assert!(gov.check("sts.us-gov-west-1.amazonaws.com").is_ok());
        assert!(matches!(
            gov.check("sts.us-east-1.amazonaws.com"),
            Err(TokenError::RegionNotInPartition { .. })
        ));
        let eusc = HostPolicy::new(Partition::AwsEusc, None);
        assert!(eusc.check("sts.eusc-de-east-1.amazonaws.eu").is_ok());
        // The server's own region is exempt, whatever its name.
        let own = HostPolicy::new(Partition::Aws, Some("local-zone".into()));
        assert!(own.check("sts.local-zone.amazonaws.com").is_ok());
        assert!(own.check("sts.s3.amazonaws.com").is_err());
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

        // Every region that follows the partition's pattern is valid, so a client can
        // mint endless hosts.
        for i in 0..(MAX_CACHED_HOSTS + 50) {
            policy
                .check(&format!("sts.us-fake{i}-1.amazonaws.com"))
                .unwrap();
        }
        assert_eq!(policy.accepted.read().unwrap().len(), MAX_CACHED_HOSTS);
        // Hosts past the bound are still checked and accepted, just not remembered.
        assert_eq!(
            policy.check("sts.us-fake9999-1.amazonaws.com").unwrap(),
            "us-fake9999-1"
        );
    }

    #[test]
    fn policy_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<HostPolicy>();
    }
}
