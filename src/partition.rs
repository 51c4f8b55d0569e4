//! AWS partitions: their names, regions' DNS suffixes, and their STS hostnames.
//!
//! Mirrors upstream's `pkg/endpoints` (the partition list and STS domains). The STS
//! hostnames themselves come from the AWS SDK's own STS endpoint rules
//! ([`aws_sdk_sts::config::endpoint::DefaultResolver`]), as upstream takes them from
//! `sts.NewDefaultEndpointResolverV2`, so a host the SDK would sign for is a host the
//! server accepts. Which STS hosts a token may name is the verifier's business, in
//! [`crate::token::host`]; this module only knows partitions.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::task::{Context, Poll, Waker};

use aws_sdk_sts::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};

use crate::gofmt::go_quote;

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

impl Partition {
    /// The partition's region pattern, verbatim from the AWS SDK's partition metadata
    /// (`regionRegex` in `partitions.json`, as embedded in `aws-sdk-sts`'s endpoint
    /// rules). Documentation only: [`Partition::region_matches`] implements it.
    pub fn region_regex(self) -> &'static str {
        match self {
            Partition::Aws => r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$",
            Partition::AwsCn => r"^cn\-\w+\-\d+$",
            Partition::AwsUsGov => r"^us\-gov\-\w+\-\d+$",
            Partition::AwsIso => r"^us\-iso\-\w+\-\d+$",
            Partition::AwsIsoB => r"^us\-isob\-\w+\-\d+$",
            Partition::AwsIsoE => r"^eu\-isoe\-\w+\-\d+$",
            Partition::AwsIsoF => r"^us\-isof\-\w+\-\d+$",
            Partition::AwsEusc => r"^eusc\-(de)\-\w+\-\d+$",
        }
    }

    /// Whether `region` matches [`Partition::region_regex`]: the fixed leading labels,
    /// then one word label, then a number, separated by `-`.
    ///
    /// This is how a region the SDK does not list yet (a new region) is told apart from
    /// a label that merely passes upstream's region syntax, such as `s3`,
    /// `s3-accelerate` or `s3-us-west-2`: `sts.s3.amazonaws.com` is a well-formed STS
    /// host for upstream, yet it is an S3 bucket endpoint.
    pub fn region_matches(self, region: &str) -> bool {
        let leading: &[&[&str]] = match self {
            Partition::Aws => &[&["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"]],
            Partition::AwsCn => &[&["cn"]],
            Partition::AwsUsGov => &[&["us"], &["gov"]],
            Partition::AwsIso => &[&["us"], &["iso"]],
            Partition::AwsIsoB => &[&["us"], &["isob"]],
            Partition::AwsIsoE => &[&["eu"], &["isoe"]],
            Partition::AwsIsoF => &[&["us"], &["isof"]],
            Partition::AwsEusc => &[&["eusc"], &["de"]],
        };
        let labels: Vec<&str> = region.split('-').collect();
        let (Some((number, rest)), true) = (labels.split_last(), labels.len() == leading.len() + 2)
        else {
            return false;
        };
        let Some((word, fixed)) = rest.split_last() else {
            return false;
        };
        let word_ok =
            !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let number_ok = !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit());
        let fixed_ok = fixed
            .iter()
            .zip(leading)
            .all(|(label, allowed)| allowed.contains(label));
        word_ok && number_ok && fixed_ok
    }

    /// The partition's regions as the SDK's partition metadata lists them (its
    /// `<partition>-global` pseudo-regions left out). Used to bound metric labels: a
    /// region outside this list is reported as `other`.
    pub fn known_regions(self) -> &'static [&'static str] {
        match self {
            Partition::Aws => &[
                "af-south-1",
                "ap-east-1",
                "ap-east-2",
                "ap-northeast-1",
                "ap-northeast-2",
                "ap-northeast-3",
                "ap-south-1",
                "ap-south-2",
                "ap-southeast-1",
                "ap-southeast-2",
                "ap-southeast-3",
                "ap-southeast-4",
                "ap-southeast-5",
                "ap-southeast-6",
                "ap-southeast-7",
                "ca-central-1",
                "ca-west-1",
                "eu-central-1",
                "eu-central-2",
                "eu-north-1",
                "eu-south-1",
                "eu-south-2",
                "eu-west-1",
                "eu-west-2",
                "eu-west-3",
                "il-central-1",
                "me-central-1",
                "me-south-1",
                "mx-central-1",
                "sa-east-1",
                "us-east-1",
                "us-east-2",
                "us-west-1",
                "us-west-2",
            ],
            Partition::AwsCn => &["cn-north-1", "cn-northwest-1"],
            Partition::AwsUsGov => &["us-gov-east-1", "us-gov-west-1"],
            Partition::AwsIso => &["us-iso-east-1", "us-iso-west-1"],
            Partition::AwsIsoB => &["us-isob-east-1", "us-isob-west-1"],
            Partition::AwsIsoE => &["eu-isoe-west-1"],
            Partition::AwsIsoF => &["us-isof-east-1", "us-isof-south-1"],
            Partition::AwsEusc => &["eusc-de-east-1"],
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
pub(crate) fn resolve_host(
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
pub(crate) fn valid_region(region: &str) -> bool {
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
    fn region_patterns_follow_the_sdk_partition_metadata() {
        // Every listed region matches its own partition's pattern and no other's.
        for partition in Partition::ALL {
            for region in partition.known_regions() {
                for other in Partition::ALL {
                    assert_eq!(
                        other.region_matches(region),
                        other == partition,
                        "{region} in {other}"
                    );
                }
            }
        }
        let aws = Partition::Aws;
        // New regions keep working.
        for region in ["us-west-9", "ap-southeast-12", "mx-north_x-1", "il-south-3"] {
            assert!(aws.region_matches(region), "{region}");
        }
        // Labels that pass upstream's syntax but are no region.
        for label in [
            "s3",
            "s3-accelerate",
            "s3-us-west-2",
            "not-a-region",
            "default-region",
            "us-west",
            "us-west-2a",
            "us--2",
            "us-west-",
            "-west-2",
            "xx-west-2",
            "us-west-2-1",
            "us-gov-west-1",
            "",
        ] {
            assert!(!aws.region_matches(label), "{label}");
        }
        assert!(Partition::AwsEusc.region_matches("eusc-de-north-2"));
        assert!(!Partition::AwsEusc.region_matches("eusc-fr-east-1"));
        assert!(Partition::AwsCn.region_matches("cn-south-1"));
        assert!(!Partition::AwsCn.region_matches("cn-north"));
        // The documented regex of every partition names the same leading labels.
        assert_eq!(
            aws.region_regex(),
            r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$"
        );
        for partition in Partition::ALL {
            let first = partition.known_regions()[0];
            let fixed = first.rsplitn(3, '-').nth(2).unwrap();
            assert!(
                partition
                    .region_regex()
                    .contains(fixed.split('-').next().unwrap()),
                "{partition}"
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
}
