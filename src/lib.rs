//! # aws-iam-authenticator
//!
//! A drop-in Rust re-implementation of the Kubernetes SIG's
//! [AWS IAM Authenticator](https://github.com/kubernetes-sigs/aws-iam-authenticator).
//!
//! The library is what the `aws-iam-authenticator` binary is built from, and it is
//! usable on its own: a Rust program or CI tool can mint a token
//! ([`token::generate()`]) or check one ([`token::verify`]) without shelling out.
//!
//! * [`token`] mints `k8s-aws-v1.` tokens (a presigned STS `GetCallerIdentity` URL) and
//!   verifies them, byte for byte compatible with upstream v0.7.x.
//! * [`credentials`] loads AWS credentials through the standard chain and assumes roles.
//! * [`exec_credential`] speaks the kubectl credential-plugin protocol; [`cache`] keeps
//!   ExecCredentials and role sessions between kubectl calls.
//! * [`mint`] is the `token` command as one call: credentials, cache, token.
//! * [`aws_http`] is the one outbound HTTPS stack (proxies, CA bundles) for AWS calls;
//!   [`proxy`] picks a proxy as Go's `http.ProxyFromEnvironment` does; with `server`,
//!   `kube_client` connects to the Kubernetes API with the same proxy rules and
//!   client-go's certificate trust (`tls_trust`).
//! * [`arn`] canonicalises the ARN that STS returns; [`partition`] knows which STS hosts
//!   belong to which AWS partition.
//! * [`config`] reads upstream's configuration file.
//! * [`diagnose`] turns an error's source chain into one line naming the problem and
//!   the fix; `doctor` checks what `token` would do.
//! * [`kubeconfig`] writes kubeconfig entries for EKS clusters (`kubeconfig add`) and moves
//!   `aws eks get-token` / upstream exec users to this binary (`kubeconfig migrate`).
//! * With the `server` cargo feature, `server` is the token-review webhook and `mapper`
//!   maps verified identities to Kubernetes users.
// No `unsafe` anywhere, except on Windows in `cache::windows_acl` (file access control
// lists have no safe API), which allows it for itself alone.
#![cfg_attr(not(windows), forbid(unsafe_code))]
#![cfg_attr(windows, deny(unsafe_code))]
#![deny(missing_docs)]

pub mod arn;
pub mod aws_http;
pub mod cache;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod diagnose;
pub mod doctor;
pub mod exec_credential;
pub(crate) mod gofmt;
#[cfg(feature = "server")]
pub mod kube_client;
pub mod kubeconfig;
pub mod logging;
#[cfg(feature = "server")]
pub mod mapper;
pub mod mint;
pub mod partition;
pub mod proxy;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod tls_trust;
pub mod token;
#[cfg(feature = "self-update")]
pub mod update;
pub mod version;

/// The outbound HTTPS stack; renamed [`aws_http`].
#[doc(hidden)]
pub use aws_http as http;
/// The token command as a library call; renamed [`mint`].
#[doc(hidden)]
pub use mint as client;
