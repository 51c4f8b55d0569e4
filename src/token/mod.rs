//! Tokens: minting them ([`generate`]) and checking them ([`verify`], then [`sts`]).
//!
//! Mirrors upstream's `pkg/token`. Verification is split in two on purpose: [`verify`]
//! is a pure function of the token and the time that performs every local check, so it
//! can be fuzzed and tested exhaustively; only a token that passes it reaches
//! [`sts::StsClient`], which forwards the presigned URL to STS.

pub mod error;
pub mod generate;
pub mod identity;
pub mod sts;
pub mod verify;

pub use error::{TokenError, VerifyError};
pub use generate::{Token, TokenRequest, generate};
pub use identity::Identity;
pub use sts::StsClient;
pub use verify::{PresignedRequest, TOKEN_PREFIX, Verifier};
