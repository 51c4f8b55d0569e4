//! Fixtures shared by the unit tests of the mapping backends and the server: one builder
//! for the STS [`Identity`] a lookup is made for, and a canned EC2 private-DNS lookup.
//!
//! Every test module used to spell out all seven `Identity` fields itself; a field added
//! to `Identity` now changes one place.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::atomic::{AtomicUsize, Ordering};

use futures_util::future::BoxFuture;

use super::PrivateDnsLookup;
use crate::token::identity::Identity;

/// Starts an [`Identity`] whose raw and canonical ARN are `canonical_arn`.
///
/// Defaults: the account is the ARN's account field (`123456789012` if it has none),
/// user ID `AROAEXAMPLE`, session name `s`, access key ID `ASIAEXAMPLE`, STS endpoint
/// `sts.amazonaws.com`.
pub(crate) fn identity(canonical_arn: &str) -> IdentityBuilder {
    let account = canonical_arn
        .split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .unwrap_or("123456789012");
    IdentityBuilder(Identity {
        arn: canonical_arn.to_string(),
        canonical_arn: canonical_arn.to_string(),
        account_id: account.to_string(),
        user_id: "AROAEXAMPLE".to_string(),
        session_name: "s".to_string(),
        access_key_id: "ASIAEXAMPLE".to_string(),
        sts_endpoint: "sts.amazonaws.com".to_string(),
    })
}

/// A test [`Identity`] under construction; see [`identity`].
#[derive(Clone, Debug)]
pub(crate) struct IdentityBuilder(Identity);

impl IdentityBuilder {
    /// Sets the account ID.
    pub(crate) fn account(mut self, account_id: &str) -> Self {
        self.0.account_id = account_id.to_string();
        self
    }

    /// Sets the IAM unique ID (`AROA…`, `AIDA…`).
    pub(crate) fn user_id(mut self, user_id: &str) -> Self {
        self.0.user_id = user_id.to_string();
        self
    }

    /// Sets the session name.
    pub(crate) fn session(mut self, session_name: &str) -> Self {
        self.0.session_name = session_name.to_string();
        self
    }

    /// The identity.
    pub(crate) fn build(self) -> Identity {
        self.0
    }
}

/// A [`PrivateDnsLookup`] with one canned answer that counts its calls and expects the
/// instance ID `i-0c6f21bf1f24f9708`.
pub(crate) struct FakeDns {
    pub(crate) calls: AtomicUsize,
    pub(crate) answer: Result<String, String>,
}

impl FakeDns {
    /// Answers `name`.
    pub(crate) fn ok(name: &str) -> Self {
        FakeDns {
            calls: AtomicUsize::new(0),
            answer: Ok(name.to_string()),
        }
    }
}

impl PrivateDnsLookup for FakeDns {
    fn private_dns_name<'a>(
        &'a self,
        instance_id: &'a str,
    ) -> BoxFuture<'a, Result<String, String>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = self.answer.clone();
        Box::pin(async move {
            assert_eq!(instance_id, "i-0c6f21bf1f24f9708");
            answer
        })
    }
}
