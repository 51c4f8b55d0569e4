//! Rendering of username and group templates (`{{SessionName}}`, `{{SessionNameRaw}}`,
//! `{{AccountID}}`, `{{AccessKeyID}}`, `{{EC2PrivateDNSName}}`) exactly as upstream's
//! `renderTemplate` does, and the EC2 lookup the last one needs.
//!
//! Separate from the chain so that the replacement order and the instance-ID check can be
//! tested on their own; the chain only decides *which* templates to render.

use std::fmt;

use futures_util::future::BoxFuture;

use crate::token::identity::Identity;

/// Resolves an EC2 instance ID to its private DNS name (EC2 `DescribeInstances`).
pub trait PrivateDnsLookup: Send + Sync {
    /// The instance's `PrivateDnsName`, or an error message to report as is.
    fn private_dns_name<'a>(
        &'a self,
        instance_id: &'a str,
    ) -> BoxFuture<'a, Result<String, String>>;
}

/// The placeholder that needs an EC2 lookup.
pub const EC2_PRIVATE_DNS_NAME: &str = "{{EC2PrivateDNSName}}";

/// Upstream's instance-ID pattern `^i-(\w{8}|\w{17})$` (`\w` is ASCII in Go's RE2).
fn is_instance_id(session_name: &str) -> bool {
    session_name.strip_prefix("i-").is_some_and(|id| {
        (id.len() == 8 || id.len() == 17)
            && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// Renders a username or group template exactly like upstream's `renderTemplate`:
/// plain replace-all, in this order, of `{{EC2PrivateDNSName}}`, `{{AccountID}}`,
/// `{{SessionName}}` (with `@` turned into `-`), `{{SessionNameRaw}}` and
/// `{{AccessKeyID}}`. Any other `{{…}}` is left as it is.
///
/// The EC2 lookup is only called when the template contains `{{EC2PrivateDNSName}}`, and
/// only after the session name is checked to be an instance ID.
pub async fn render(
    template: &str,
    identity: &Identity,
    ec2: Option<&dyn PrivateDnsLookup>,
) -> Result<String, TemplateError> {
    let mut out = template.to_string();
    if out.contains(EC2_PRIVATE_DNS_NAME) {
        if !is_instance_id(&identity.session_name) {
            return Err(TemplateError::NoInstanceId);
        }
        let lookup = ec2.ok_or(TemplateError::Ec2LookupNotConfigured)?;
        let dns_name = lookup
            .private_dns_name(&identity.session_name)
            .await
            .map_err(TemplateError::Ec2Lookup)?;
        out = out.replace(EC2_PRIVATE_DNS_NAME, &dns_name);
    }
    out = out.replace("{{AccountID}}", &identity.account_id);
    let session_name = identity.session_name.replace('@', "-");
    out = out.replace("{{SessionName}}", &session_name);
    out = out.replace("{{SessionNameRaw}}", &identity.session_name);
    out = out.replace("{{AccessKeyID}}", &identity.access_key_id);
    Ok(out)
}

/// Why a template could not be rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TemplateError {
    /// `{{EC2PrivateDNSName}}` with a session name that is not an EC2 instance ID.
    NoInstanceId,
    /// `{{EC2PrivateDNSName}}` but the server has no EC2 lookup configured.
    Ec2LookupNotConfigured,
    /// The EC2 lookup failed; its message, unchanged.
    Ec2Lookup(String),
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::NoInstanceId => {
                f.write_str("SessionName did not contain an instance id")
            }
            TemplateError::Ec2LookupNotConfigured => f.write_str(
                "cannot render {{EC2PrivateDNSName}}: the EC2 private DNS lookup is not configured",
            ),
            TemplateError::Ec2Lookup(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for TemplateError {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::mapper::test_support::{FakeDns, identity};
    use std::sync::atomic::{AtomicUsize, Ordering};

    const ROLE: &str = "arn:aws:iam::123456789012:role/Test";

    #[tokio::test]
    async fn session_name_template_replaces_at_sign() {
        let id = identity(ROLE)
            .account("123456789012")
            .session("jdoe@example.com")
            .build();
        assert_eq!(
            render("a-{{SessionName}}-b", &id, None).await,
            Ok("a-jdoe-example.com-b".to_string())
        );
        assert_eq!(
            render("a-{{SessionNameRaw}}-b", &id, None).await,
            Ok("a-jdoe@example.com-b".to_string())
        );
    }

    #[tokio::test]
    async fn account_and_access_key_templates_and_unknown_placeholders() {
        let id = identity(ROLE).account("123456789012").session("s").build();
        assert_eq!(
            render(
                "{{AccountID}}/{{AccessKeyID}}/{{AccountID}}/{{Session}}/{{accountid}}",
                &id,
                None
            )
            .await,
            Ok("123456789012/ASIAEXAMPLE/123456789012/{{Session}}/{{accountid}}".to_string())
        );
    }

    #[tokio::test]
    async fn ec2_private_dns_name_template() {
        let id = identity(ROLE)
            .account("123456789012")
            .session("i-0c6f21bf1f24f9708")
            .build();
        let dns = FakeDns::ok("ip-172-31-27-14");
        assert_eq!(
            render("system:node:{{EC2PrivateDNSName}}", &id, Some(&dns)).await,
            Ok("system:node:ip-172-31-27-14".to_string())
        );
        assert_eq!(dns.calls.load(Ordering::SeqCst), 1);
        // No placeholder: the lookup is never called.
        assert_eq!(
            render("system:node", &id, Some(&dns)).await,
            Ok("system:node".to_string())
        );
        assert_eq!(dns.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn ec2_template_needs_an_instance_id_session_name() {
        let dns = FakeDns::ok("ip-1");
        for bad in [
            "jdoe",
            "i-123",
            "i-0c6f21bf1f24f970",
            "i-0c6f21bf1f24f97088",
            "i-0c6f21b.",
            "x-0c6f21bf",
        ] {
            let id = identity(ROLE).account("123456789012").session(bad).build();
            let err = render("{{EC2PrivateDNSName}}", &id, Some(&dns)).await;
            assert_eq!(err, Err(TemplateError::NoInstanceId), "{bad}");
            assert_eq!(
                TemplateError::NoInstanceId.to_string(),
                "SessionName did not contain an instance id"
            );
        }
        assert_eq!(dns.calls.load(Ordering::SeqCst), 0);
        // Both valid lengths (8 and 17).
        for good in ["i-0c6f21bf", "i-0c6f21bf1f24f9708"] {
            assert!(is_instance_id(good), "{good}");
        }
    }

    #[tokio::test]
    async fn ec2_template_without_lookup_is_a_clear_error() {
        let id = identity(ROLE)
            .account("123456789012")
            .session("i-0c6f21bf1f24f9708")
            .build();
        let err = render("system:node:{{EC2PrivateDNSName}}", &id, None).await;
        assert_eq!(err, Err(TemplateError::Ec2LookupNotConfigured));
        assert!(
            TemplateError::Ec2LookupNotConfigured
                .to_string()
                .contains("not configured")
        );
    }

    #[tokio::test]
    async fn ec2_lookup_error_is_passed_through() {
        let id = identity(ROLE)
            .account("123456789012")
            .session("i-0c6f21bf1f24f9708")
            .build();
        let dns = FakeDns {
            calls: AtomicUsize::new(0),
            answer: Err("failed to find node i-0c6f21bf1f24f9708 ".to_string()),
        };
        let err = render("{{EC2PrivateDNSName}}", &id, Some(&dns)).await;
        assert_eq!(
            err,
            Err(TemplateError::Ec2Lookup(
                "failed to find node i-0c6f21bf1f24f9708 ".to_string()
            ))
        );
    }
}
