//! Tokens: minting them ([`generate`](mod@generate)) and checking them ([`verify`], then [`sts`]).
//!
//! Mirrors upstream's `pkg/token`. Verification is split in two on purpose: [`verify`]
//! is a pure function of the token and the time that performs every local check, so it
//! can be fuzzed and tested exhaustively; only a token that passes it reaches
//! [`sts::StsClient`], which forwards the presigned URL to STS. Which STS hosts a token
//! may name is [`host`]'s rule.

mod amz_params;
pub mod error;
pub mod generate;
pub mod host;
pub mod identity;
pub mod sts;
pub mod sts_response;
mod url;
pub mod verify;

pub use error::{TokenError, VerifyError};
pub use generate::{Token, TokenRequest, generate};
pub use host::HostPolicy;
pub use identity::Identity;
pub use sts::StsClient;
pub use verify::{PresignedRequest, TOKEN_PREFIX, Verifier};

/// The header that binds a token to a cluster: signed into the presigned URL by
/// [`generate()`], required among the signed headers by [`verify`], and sent with the
/// server's own cluster ID by [`sts`].
pub const CLUSTER_ID_HEADER: &str = "x-k8s-aws-id";
