//! Placeholder: replaced by the real partition module.
#![allow(missing_docs, dead_code)]
use std::fmt;
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partition { Aws, AwsCn, AwsUsGov, AwsIso, AwsIsoB, AwsIsoE, AwsIsoF, AwsEusc }
impl Partition {
    pub const ALL: [Partition; 8] = [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov, Partition::AwsIso, Partition::AwsIsoB, Partition::AwsIsoE, Partition::AwsIsoF, Partition::AwsEusc];
    pub fn id(self) -> &'static str { "aws" }
    pub fn domain(self) -> &'static str { "amazonaws.com" }
    pub fn dual_stack_domain(self) -> Option<&'static str> { None }
}
#[derive(Debug)]
pub struct UnknownPartition(pub String);
impl fmt::Display for UnknownPartition { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "invalid partition {:?}", self.0) } }
impl std::error::Error for UnknownPartition {}
impl std::str::FromStr for Partition { type Err = UnknownPartition; fn from_str(s: &str) -> Result<Self, UnknownPartition> { if s == "aws" { Ok(Partition::Aws) } else { Err(UnknownPartition(s.into())) } } }
impl fmt::Display for Partition { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.id()) } }
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct EndpointFlavour { pub fips: bool, pub dual_stack: bool }
#[derive(Debug)]
pub struct EndpointError(pub String);
impl fmt::Display for EndpointError { fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) } }
impl std::error::Error for EndpointError {}
pub fn sts_host(region: &str, flavour: EndpointFlavour) -> Result<String, EndpointError> {
    let svc = if flavour.fips { "sts-fips" } else { "sts" };
    let dom = if flavour.dual_stack { "api.aws" } else { "amazonaws.com" };
    Ok(format!("{svc}.{region}.{dom}"))
}
pub struct HostPolicy { partition: Partition }
impl HostPolicy {
    pub fn new(partition: Partition, _server_region: Option<String>) -> Self { Self { partition } }
    pub fn partition(&self) -> Partition { self.partition }
    pub fn check(&self, host: &str) -> Result<String, crate::token::error::TokenError> { Ok(host.split('.').nth(1).unwrap_or("").to_string()) }
}
